from exporter.records import record_from_inspect
from tests.unit.exporter.fakes import inspect_json


def test_record_from_inspect_of_a_running_container():
    info = inspect_json("ab" * 32, "web", labels={"tier": "front"}, restart_count=4, pid=77)
    info["HostConfig"]["RestartPolicy"] = {"Name": "on-failure", "MaximumRetryCount": 3}
    record = record_from_inspect(info)
    assert (record.name, record.image, record.state, record.pid) == ("web", "busybox:latest", "running", 77)
    assert record.short_id == "abababababab"
    assert record.live
    assert record.restart_count == 4
    assert record.restart_policy == "on-failure:3"
    assert record.started_at == 1714557601.5
    assert record.finished_at is None
    assert record.labels == {"tier": "front"}


def test_an_exited_container_is_not_live_and_keeps_its_exit_code():
    record = record_from_inspect(inspect_json("cd" * 32, "old", state="exited"))
    assert not record.live
    assert (record.pid, record.exit_code, record.restart_policy) == (0, 3, "no")
