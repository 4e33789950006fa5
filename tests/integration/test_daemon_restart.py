"""The process model across a daemon crash: `kill -9` of the daemon leaves containers running, the restarted
daemon lists them, their logs have no gap, stop works, exits that happened meanwhile keep their true codes, and
the restart policies always and unless-stopped bring containers back."""

import os
import signal
import subprocess

import pytest

from runtime.cgroups import open_manager
from runtime.linux.constants import MNT_DETACH
from runtime.linux.syscalls import umount2
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

COUNTER = "i=0; while true; do i=$((i+1)); echo $i; sleep 0.02; done"


@pytest.fixture
def crash(ph):
    """Kills the daemon with SIGKILL and starts it again; the daemon is serving again after the test whatever
    happened in it. Should it fail to come back, the containers it left are killed and their cgroups and
    network namespace files removed here, since no daemon is left to do it."""

    def kill_and_restart(while_down=None) -> None:
        ph.kill(signal.SIGKILL)
        try:
            if while_down is not None:
                while_down()
        finally:
            ph.start()

    try:
        yield kill_and_restart
    finally:
        try:
            if ph.process is None:
                ph.start()
        except BaseException:
            _salvage(ph)
            raise


def _salvage(ph) -> None:
    parent = ph.cgroup_parent
    for group in _listing(f"/sys/fs/cgroup/pids/{parent}"):
        if os.path.isdir(f"/sys/fs/cgroup/pids/{parent}/{group}"):
            open_manager(f"{parent}/{group}").destroy()
    for netns in _listing(ph.exec_root / "netns"):
        umount2(str(ph.exec_root / "netns" / netns), MNT_DETACH)


def _listing(path) -> list[str]:
    return os.listdir(path) if os.path.isdir(path) else []


def _state(client, cid: str) -> dict:
    attrs = client.api.inspect_container(cid)
    return {**attrs["State"], "RestartCount": attrs["RestartCount"]}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _run(ph, *args: str) -> str:
    return ph.docker("run", "-d", *args, check=True).stdout.decode().strip()


def test_containers_keep_running_and_are_listed_after_a_daemon_crash(ph, client, crash):
    cid = _run(ph, "--name", "survivor", "busybox", "sleep", "60")
    pid = _state(client, cid)["Pid"]
    crash(while_down=lambda: assert_alive(pid))
    assert ph.docker("ps", "-q", "--no-trunc").stdout.decode().split() == [cid]
    state = _state(ph.client(), cid)
    assert (state["Status"], state["Pid"]) == ("running", pid)


def assert_alive(pid: int) -> None:
    assert _alive(pid), "the container died with the daemon"


def test_logs_have_no_gap_across_a_daemon_crash(ph, client, crash):
    cid = _run(ph, "busybox", "sh", "-c", COUNTER)
    wait_for(lambda: client.containers.get(cid).logs().count(b"\n") > 10, 10, what="the counter to count")

    def while_down() -> None:
        log = ph.data_root / "containers" / cid / f"{cid}-json.log"
        size = log.stat().st_size
        wait_for(lambda: log.stat().st_size > size + 2000, 10, what="lines written while the daemon is down")

    crash(while_down)
    client = ph.client()
    before = len(client.containers.get(cid).logs().splitlines())
    wait_for(
        lambda: len(client.containers.get(cid).logs().splitlines()) > before + 10,
        10,
        what="more lines after the restart",
    )
    ph.docker("stop", "-t", "1", cid, check=True)
    numbers = [int(n) for n in ph.docker("logs", cid, check=True).stdout.split()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_stop_and_exec_work_on_a_container_the_restarted_daemon_adopted(ph, client, crash):
    cid = _run(ph, "busybox", "sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.05; done")
    crash()
    assert ph.docker("exec", cid, "echo", "inside").stdout == b"inside\n"
    assert ph.docker("stop", cid).returncode == 0
    state = _state(ph.client(), cid)
    assert (state["Status"], state["ExitCode"]) == ("exited", 7)


def test_wait_on_an_adopted_container_returns_its_exit_code(ph, client, crash):
    cid = _run(ph, "busybox", "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3")
    crash()
    ph.docker("exec", cid, "touch", "/tmp/go", check=True)
    assert ph.docker("wait", cid).stdout == b"3\n"


def test_a_container_that_exited_while_the_daemon_was_down_shows_its_true_exit_code(ph, client, crash, tmp_path):
    cid = _run(
        ph,
        "-v",
        f"{tmp_path}:/signal",
        "busybox",
        "sh",
        "-c",
        "while [ ! -e /signal/go ]; do sleep 0.05; done; echo bye; exit 42",
    )
    pid = _state(client, cid)["Pid"]

    def exit_meanwhile() -> None:
        (tmp_path / "go").touch()
        wait_for(lambda: not _alive(pid), 10, what="the container to exit")

    crash(exit_meanwhile)
    state = _state(ph.client(), cid)
    assert (state["Status"], state["ExitCode"], state["Pid"]) == ("exited", 42, 0)
    assert state["FinishedAt"] > state["StartedAt"]
    assert ph.docker("logs", cid).stdout == b"bye\n"
    assert not os.path.exists(f"/sys/fs/cgroup/memory/{ph.cgroup_parent}/{cid}")


def test_a_paused_container_stays_paused_across_a_crash(ph, client, crash):
    cid = _run(ph, "busybox", "sleep", "60")
    ph.docker("pause", cid, check=True)
    crash()
    assert _state(ph.client(), cid)["Status"] == "paused"
    ph.docker("unpause", cid, check=True)
    assert _state(ph.client(), cid)["Status"] == "running"


def test_always_comes_back_after_docker_stop_and_unless_stopped_does_not(ph, client, crash):
    always = _run(ph, "--restart", "always", "busybox", "sleep", "60")
    unless = _run(ph, "--restart", "unless-stopped", "busybox", "sleep", "60")
    ph.docker("stop", "-t", "0", always, unless, check=True)
    crash()
    client = ph.client()
    assert _state(client, always)["Status"] == "running"
    assert _state(client, unless)["Status"] == "exited"


def test_always_and_unless_stopped_come_back_after_dying_while_the_daemon_was_down(ph, client, crash):
    always = _run(ph, "--restart", "always", "busybox", "sleep", "60")
    unless = _run(ph, "--restart", "unless-stopped", "busybox", "sleep", "60")
    never = _run(ph, "busybox", "sleep", "60")
    pids = [_state(client, cid)["Pid"] for cid in (always, unless, never)]

    def kill_them() -> None:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not any(_alive(p) for p in pids), 10, what="the containers to die")

    crash(kill_them)
    client = ph.client()
    wait_for(lambda: _state(client, always)["Status"] == "running", 10, what="always to come back")
    wait_for(lambda: _state(client, unless)["Status"] == "running", 10, what="unless-stopped to come back")
    assert _state(client, never)["Status"] == "exited"
    assert _state(client, never)["ExitCode"] == 137


def test_a_stopped_container_stays_stopped_and_removable_after_a_crash(ph, client, crash):
    cid = _run(ph, "busybox", "sh", "-c", "exit 2")
    client.containers.get(cid).wait(timeout=10)
    crash()
    state = _state(ph.client(), cid)
    assert (state["Status"], state["ExitCode"]) == ("exited", 2)
    assert ph.docker("rm", cid).returncode == 0


def test_a_restart_pending_when_the_daemon_died_happens_after_it_is_back(ph, client, crash, tmp_path):
    cid = _run(
        ph,
        "--restart",
        "on-failure:10",
        "-v",
        f"{tmp_path}:/signal",
        "busybox",
        "sh",
        "-c",
        "if [ -e /signal/stay ]; then sleep 60; fi; exit 3",
    )
    # after three restarts the back-off is 0.8 s: long enough to crash the daemon inside it
    wait_for(
        lambda: (s := _state(client, cid))["Status"] == "restarting" and s["RestartCount"] >= 3,
        15,
        what="a pending restart",
    )
    crash(while_down=lambda: (tmp_path / "stay").touch())
    wait_for(lambda: _state(ph.client(), cid)["Status"] == "running", 10, what="the pending restart")


def test_a_stopped_on_failure_container_is_started_by_the_next_daemon(ph, client, crash):
    """Docker: a stop by hand suspends the policy until the daemon restarts (unless-stopped excepted)."""
    cid = _run(ph, "--restart", "on-failure", "busybox", "sleep", "60")
    ph.docker("stop", "-t", "0", cid, check=True)  # exit 137: a failure in on-failure's eyes
    crash()
    wait_for(lambda: _state(ph.client(), cid)["Status"] == "running", 10, what="the container to start")


def test_an_always_container_started_by_the_daemon_keeps_its_policy(ph, client, crash):
    cid = _run(ph, "--restart", "always", "busybox", "sleep", "60")
    ph.docker("stop", "-t", "0", cid, check=True)
    crash()
    client = ph.client()
    pid = wait_for(lambda: _state(client, cid)["Pid"], 10, what="the container to start")
    os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: _state(client, cid)["Status"] == "running" and _state(client, cid)["Pid"] != pid,
        10,
        what="a restart by the policy",
    )


def test_logs_follow_on_an_adopted_container_ends_with_it(ph, client, crash, tmp_path):
    cid = _run(
        ph,
        "-v",
        f"{tmp_path}:/signal",
        "busybox",
        "sh",
        "-c",
        "echo before; while [ ! -e /signal/go ]; do sleep 0.05; done; echo after",
    )
    crash()
    follower = subprocess.Popen(["docker", "-H", ph.host, "logs", "-f", cid], stdout=subprocess.PIPE)
    try:
        assert follower.stdout.readline() == b"before\n"
        (tmp_path / "go").touch()
        assert follower.stdout.readline() == b"after\n"
        assert follower.wait(timeout=10) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.communicate()
