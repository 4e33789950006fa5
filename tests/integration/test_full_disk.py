"""A full disk under the daemon (its data root on a 64 MB tmpfs, filled by a container's output or by a file
written until ENOSPC): the operator can still stop, kill and remove containers, exits are recorded, and once
space returns the records on disk agree with what happened."""

import io
import json
import os
import signal
import tarfile

import pytest

from tests.support.daemon import running
from tests.support.exporter import MetricsDaemon, scrape_until, value
from tests.support.fulldisk import free_bytes
from tests.support.registry import running_registry
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

FLOOD = "while true; do echo flooding the disk with a line that is long enough to fill it fast; done"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    with running(MetricsDaemon(tmp_path_factory.mktemp("porthole"), data_root_size="64m"), busybox_rootfs) as d:
        yield d


def _run(ph, *args: str) -> str:
    return ph.docker("run", "-d", *args, check=True).stdout.decode().strip()


def _state(client, cid: str) -> dict:
    return client.api.inspect_container(cid)["State"]


def _state_on_disk(ph, cid: str) -> dict:
    with open(ph.data_root / "containers" / cid / "state.json") as f:
        return json.load(f)


def _restart_daemon(ph) -> None:
    ph.kill(signal.SIGKILL)
    ph.start()


def test_a_container_flooding_the_disk_can_be_stopped_and_its_stop_is_recorded(ph, client):
    cid = _run(ph, "--restart", "unless-stopped", "busybox", "sh", "-c", FLOOD)
    try:
        wait_for(lambda: free_bytes(ph.data_root) < 64 * 1024, 60, what="the container's log to fill the disk")
        result = ph.docker("stop", "-t", "1", cid, timeout=30)
        assert result.returncode == 0, result.stderr.decode()
        assert _state(client, cid)["Running"] is False
    finally:
        log = ph.data_root / "containers" / cid / f"{cid}-json.log"
        if log.exists():
            os.truncate(log, 0)  # space returns
    wait_for(lambda: _state_on_disk(ph, cid)["status"] == "exited", 10, what="the stop to reach the disk")
    assert _state_on_disk(ph, cid)["manually_stopped"] is True
    _restart_daemon(ph)  # unless-stopped: a container stopped by hand stays stopped across a daemon restart
    assert _state(client, cid)["Status"] == "exited"


def test_kill_while_the_disk_is_full_kills_and_is_recorded_once_space_returns(ph, client):
    cid = _run(ph, "busybox", "sleep", "600")
    with ph.data_root_full():
        result = ph.docker("kill", cid, timeout=30)
        assert result.returncode == 0, result.stderr.decode()
        wait_for(lambda: not _state(client, cid)["Running"], 10, what="the container to die")
        assert _state(client, cid)["ExitCode"] == 137
        assert _state_on_disk(ph, cid)["status"] == "running"  # nothing can be written yet
    wait_for(lambda: _state_on_disk(ph, cid)["status"] == "exited", 10, what="the exit to reach the disk")
    assert _state_on_disk(ph, cid)["exit_code"] == 137


def test_rm_f_while_the_disk_is_full_removes_running_and_created_containers(ph, client):
    running_id = _run(ph, "busybox", "sleep", "600")
    created_id = ph.docker("create", "busybox", "true", check=True).stdout.decode().strip()
    netns = ph.exec_root / "netns" / running_id
    assert netns.exists()
    with ph.data_root_full():
        for cid in (running_id, created_id):
            result = ph.docker("rm", "-f", cid, timeout=30)
            assert result.returncode == 0, result.stderr.decode()
        assert ph.docker("ps", "-aq").stdout.decode().split() == []
    assert not netns.exists()
    assert not (ph.data_root / "containers" / running_id).exists()
    assert not os.path.exists(f"/sys/fs/cgroup/pids/{ph.cgroup_parent}/{running_id}")
    assert client.api.inspect_network("bridge")["Containers"] == {}


def test_an_exit_on_a_full_disk_is_recorded_and_its_network_released_once_space_returns(ph, client, tmp_path):
    cid = _run(
        ph, "-v", f"{tmp_path}:/signal", "busybox", "sh", "-c", "until [ -e /signal/go ]; do sleep 0.05; done; exit 3"
    )
    with ph.data_root_full():
        (tmp_path / "go").touch()
        assert client.api.wait(cid, timeout=30)["StatusCode"] == 3
        assert _state(client, cid)["Status"] == "exited"
    wait_for(lambda: _state_on_disk(ph, cid)["status"] == "exited", 10, what="the exit to reach the disk")
    wait_for(lambda: client.api.inspect_network("bridge")["Containers"] == {}, 10, what="the address to be released")
    assert not (ph.exec_root / "netns" / cid).exists()
    client.api.start(cid)  # and it starts again
    assert _state(client, cid)["Running"] is True


def test_a_pause_on_a_full_disk_holds_across_a_daemon_crash_before_its_record_was_written(ph, client):
    cid = _run(ph, "busybox", "sleep", "600")
    with ph.data_root_full():
        result = ph.docker("pause", cid, timeout=30)
        assert result.returncode == 0, result.stderr.decode()
        _restart_daemon(ph)  # on the full disk: the pause was never written
        assert _state_on_disk(ph, cid)["status"] == "running"
        assert _state(client, cid)["Status"] == "paused"
        result = ph.docker("unpause", cid, timeout=30)
        assert result.returncode == 0, result.stderr.decode()
    wait_for(lambda: _state_on_disk(ph, cid)["status"] == "running", 10, what="the record to agree")
    assert ph.docker("stop", "-t", "1", cid, timeout=30).returncode == 0


def test_create_on_a_full_disk_fails_with_507_naming_the_file_and_leaves_nothing(ph, client):
    before = set(os.listdir(ph.data_root / "containers"))
    with ph.data_root_full():
        result = ph.docker("create", "--name", "never", "busybox", "true", timeout=30)
        assert result.returncode != 0
        message = result.stderr.decode()
        assert "POST /containers/create: cannot store " + str(ph.data_root) in message
        assert "No space left on device (ENOSPC)" in message
        response = client.api._post_json(
            client.api._url("/containers/create"), data={"Image": "busybox", "Cmd": ["true"]}
        )
        assert response.status_code == 507
        assert ph.docker("ps", "-aq").stdout.decode().split() == []
        assert set(os.listdir(ph.data_root / "containers")) == before
        assert os.listdir(ph.data_root / "network" / "containers") == []
    assert ph.docker("create", "--name", "never", "busybox", "true").returncode == 0  # the name was not kept


def test_volume_create_on_a_full_disk_fails_with_507_naming_the_file_and_leaves_nothing(ph, client):
    with ph.data_root_full():
        result = ph.docker("volume", "create", "never", timeout=30)
        assert result.returncode != 0
        message = result.stderr.decode()
        assert "POST /volumes/create: cannot store " + str(ph.data_root / "volumes") in message
        assert "No space left on device (ENOSPC)" in message
        assert "never" not in ph.docker("volume", "ls", "-q").stdout.decode().split()
        assert [name for name in os.listdir(ph.data_root / "volumes") if "never" in name or name[:1] == "."] == []
    assert ph.docker("volume", "create", "never").returncode == 0  # the name was not kept


@pytest.mark.parametrize("verb", ["import", "build"])
def test_an_image_written_on_a_full_disk_fails_with_507_naming_the_file_and_leaves_no_image(ph, client, verb):
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        content = b"x" * 65536
        member = tarfile.TarInfo("Dockerfile" if verb == "build" else "payload")
        member.size = len(content)
        tar.addfile(member, io.BytesIO(content))
    args = ("import", "-", "never") if verb == "import" else ("build", "-t", "never", "-")
    with ph.data_root_full():
        result = ph.docker(*args, input=archive.getvalue(), timeout=30)
        assert result.returncode != 0
        message = result.stderr.decode()
        assert "cannot store " + str(ph.data_root) in message
        assert "No space left on device (ENOSPC)" in message
        assert ph.docker("images", "-q", "never").stdout == b""
    if verb == "import":
        assert ph.docker("import", "-", "never", input=archive.getvalue()).returncode == 0
        ph.docker("rmi", "never", check=True)


def test_a_volume_filled_from_the_image_on_a_full_disk_fails_the_create_with_507_and_leaves_no_container(ph, client):
    with ph.data_root_full() as filler:
        os.truncate(filler, filler.stat().st_size - (256 << 10))  # room for the records, not for the image's /bin
        result = ph.docker("create", "--name", "never", "-v", "filled:/bin", "busybox", "true", timeout=30)
        assert result.returncode != 0
        message = result.stderr.decode()
        assert "POST /containers/create: cannot store " + str(ph.data_root / "volumes" / "filled") in message
        assert "No space left on device (ENOSPC)" in message
        assert ph.docker("ps", "-aq").stdout.decode().split() == []


def test_a_pull_on_a_full_disk_fails_naming_the_file_and_leaves_no_image(ph, tmp_path_factory, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN head -c 300000 /dev/urandom > /r\n")
    with running_registry(tmp_path_factory.mktemp("registry")) as registry:
        name = f"{registry.address}/full/app:1"
        ph.docker("build", "-q", "-t", name, str(tmp_path), check=True, timeout=120)
        try:
            ph.docker("push", name, check=True, timeout=120)
            ph.docker("rmi", name, check=True)  # its layer goes with it: the pull must write it
            with ph.data_root_full():
                result = ph.docker("pull", name, timeout=60)
                assert result.returncode != 0
                output = result.stdout.decode() + result.stderr.decode()
                assert "porthole: pull: cannot store " + str(ph.data_root) in output
                assert "No space left on device (ENOSPC)" in output
                assert ph.docker("images", "-q", name).stdout == b""
            ph.docker("pull", name, check=True, timeout=60)
        finally:
            ph.docker("rmi", "-f", name)


def test_lines_lost_to_failed_writes_and_records_waiting_for_the_disk_are_in_the_metrics(ph, client):
    cid = _run(ph, "--name", "flood", "busybox", "sh", "-c", FLOOD)
    log = ph.data_root / "containers" / cid / f"{cid}-json.log"
    try:
        wait_for(lambda: free_bytes(ph.data_root) < 64 * 1024, 60, what="the container's log to fill the disk")
        samples = scrape_until(
            ph.metrics_port,
            lambda s: (
                (value(s, "porthole_log_dropped_lines_total", container_name="flood", reason="write_failed") or 0) > 100
            ),
            "lines lost to failed writes in /metrics",
        )
        assert value(samples, "porthole_log_dropped_lines_total", container_name="flood", reason="buffer-full") == 0
        with ph.data_root_full():  # to the last byte: the exit cannot be recorded on disk yet
            assert ph.docker("kill", cid, timeout=30).returncode == 0
            scrape_until(
                ph.metrics_port,
                lambda s: value(s, "porthole_engine_deferred_work", kind="state") == 1,
                "the unsaved state in /metrics",
            )
    finally:
        os.truncate(log, 0)
    scrape_until(
        ph.metrics_port,
        lambda s: value(s, "porthole_engine_deferred_work", kind="state") == 0,
        "the state to be saved once space returned",
    )


def test_the_daemon_starts_on_a_full_disk_and_records_exits_that_happened_while_it_was_down(ph, client):
    cid = _run(ph, "busybox", "sleep", "600")
    pid = _state(client, cid)["Pid"]
    ph.kill(signal.SIGKILL)
    try:
        os.kill(pid, signal.SIGKILL)  # the container dies while the daemon is away
        with ph.data_root_full():
            ph.start()  # its address goes back to the pool, which cannot be written now
            state = _state(client, cid)
            assert (state["Status"], state["ExitCode"]) == ("exited", 137)
    finally:
        if ph.process is None:
            ph.start()
    wait_for(lambda: _state_on_disk(ph, cid)["status"] == "exited", 10, what="the exit to reach the disk")
    ipam = {}
    for path in (ph.data_root / "network" / "ipam").glob("*.json"):
        ipam.update(json.loads(path.read_text())["allocated"])
    assert cid not in ipam.values()
