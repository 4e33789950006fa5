import pytest

from exporter.records import event_from_json, record_from_inspect
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


@pytest.mark.parametrize(
    "event, expected",
    [
        (
            {
                "Type": "container",
                "Action": "die",
                "Actor": {"ID": "x1", "Attributes": {"exitCode": "3", "image": "b"}},
                "timeNano": 1714557600500000000,
            },
            ("x1", 1714557600.5, "die", "exit code 3"),
        ),
        (
            {"Type": "container", "Action": "kill", "Actor": {"ID": "x2", "Attributes": {"signal": "15"}}, "time": 7},
            ("x2", 7.0, "kill", "signal 15"),
        ),
        ({"status": "start", "id": "x3", "time": 1}, ("x3", 1.0, "start", "")),  # API < 1.22 fields
    ],
)
def test_event_from_json(event, expected):
    container_id, parsed = event_from_json(event)
    assert (container_id, parsed.time, parsed.action, parsed.detail) == expected


def test_events_of_other_objects_are_left_out():
    assert event_from_json({"Type": "network", "Action": "connect", "Actor": {"ID": "n1"}}) is None
    assert event_from_json({"Type": "container", "Action": "start", "Actor": {}}) is None
