"""stop, kill, restart, rm, wait and top, driven by the docker CLI and docker-py, checked with the other."""

import os
import signal
import subprocess
import threading
import time

import docker
import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

# A shell as PID 1 that says which signal it got and exits with 128 + its number.
REPORTS_SIGNALS = (
    "trap 'echo got TERM; exit 143' TERM; trap 'echo got USR1; exit 138' USR1; "
    "trap 'echo got HUP; exit 129' HUP; echo ready; while true; do sleep 0.05; done"
)
# PID 1 that ignores SIGTERM: only SIGKILL ends it.
IGNORES_TERM = "trap '' TERM; echo ready; while true; do sleep 0.05; done"


def _run(ph, *args: str) -> str:
    result = ph.docker("run", "-d", *args)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().strip()


def _ready(client, cid: str) -> None:
    wait_for(lambda: b"ready" in client.containers.get(cid).logs(), 10, what="the container to be ready")


def _state(client, cid: str) -> dict:
    return client.api.inspect_container(cid)["State"]


def test_stop_sends_term_and_the_handler_exits(ph, client):
    cid = _run(ph, "--name", "polite", "busybox", "sh", "-c", REPORTS_SIGNALS)
    _ready(client, cid)
    started = time.monotonic()
    assert ph.docker("stop", "polite").stdout == b"polite\n"
    assert time.monotonic() - started < 5
    state = _state(client, cid)
    assert (state["Status"], state["ExitCode"]) == ("exited", 143)
    assert b"got TERM" in client.containers.get(cid).logs()


def test_stop_timeout_ends_in_sigkill_after_t_seconds(ph, client):
    cid = _run(ph, "busybox", "sh", "-c", IGNORES_TERM)
    _ready(client, cid)
    started = time.monotonic()
    assert ph.docker("stop", "-t", "2", cid).returncode == 0
    took = time.monotonic() - started
    assert 1.8 <= took < 5, took
    state = _state(client, cid)
    assert (state["Status"], state["ExitCode"], state["OOMKilled"]) == ("exited", 137, False)


def test_stop_with_zero_timeout_kills_at_once(ph, client):
    cid = _run(ph, "busybox", "sh", "-c", IGNORES_TERM)
    _ready(client, cid)
    started = time.monotonic()
    client.containers.get(cid).stop(timeout=0)
    assert time.monotonic() - started < 2
    assert _state(client, cid)["ExitCode"] == 137


def test_stop_uses_the_containers_stop_signal(ph, client):
    cid = _run(ph, "--stop-signal", "USR1", "busybox", "sh", "-c", REPORTS_SIGNALS)
    _ready(client, cid)
    ph.docker("stop", cid, check=True)
    assert _state(client, cid)["ExitCode"] == 138
    assert b"got USR1" in client.containers.get(cid).logs()


def test_stop_of_a_stopped_container_succeeds(ph, client):
    container = client.containers.run("busybox", ["true"], detach=True)
    container.wait(timeout=10)
    assert ph.docker("stop", container.id).returncode == 0


@pytest.mark.parametrize(
    ("sig", "code", "said"), [("HUP", 129, b"got HUP"), ("SIGUSR1", 138, b"got USR1"), ("15", 143, b"got TERM")]
)
def test_kill_with_a_signal_reaches_pid_1(ph, client, sig, code, said):
    cid = _run(ph, "busybox", "sh", "-c", REPORTS_SIGNALS)
    _ready(client, cid)
    ph.docker("kill", "-s", sig, cid, check=True)
    assert client.containers.get(cid).wait(timeout=10)["StatusCode"] == code
    assert said in client.containers.get(cid).logs()


def test_kill_defaults_to_sigkill(ph, client):
    cid = _run(ph, "busybox", "sleep", "60")
    client.containers.get(cid).kill()
    assert client.containers.get(cid).wait(timeout=10)["StatusCode"] == 137
    assert _state(client, cid)["Status"] == "exited"


def test_kill_of_a_stopped_container_is_a_conflict(ph, client):
    container = client.containers.create("busybox", ["true"])
    result = ph.docker("kill", container.id)
    assert result.returncode != 0
    assert b"is not running" in result.stderr


def test_kill_with_an_unknown_signal_is_refused(ph, client):
    cid = _run(ph, "busybox", "sleep", "60")
    result = ph.docker("kill", "-s", "NOTASIGNAL", cid)
    assert result.returncode != 0
    assert b"Invalid signal: NOTASIGNAL" in result.stderr
    assert _state(client, cid)["Status"] == "running"


def test_restart_runs_the_command_again_with_a_new_pid(ph, client):
    cid = _run(ph, "busybox", "sh", "-c", "echo run; trap 'exit 0' TERM; while true; do sleep 0.05; done")
    wait_for(lambda: client.containers.get(cid).logs() == b"run\n", 10, what="the first run")
    first = _state(client, cid)
    assert ph.docker("restart", "-t", "5", cid).returncode == 0
    second = _state(client, cid)
    assert second["Status"] == "running"
    assert second["Pid"] != first["Pid"]
    assert second["StartedAt"] > first["StartedAt"]
    wait_for(lambda: client.containers.get(cid).logs() == b"run\nrun\n", 10, what="the second run")
    assert client.api.inspect_container(cid)["RestartCount"] == 0  # a manual restart is not counted


def test_restart_starts_an_exited_container(ph, client):
    container = client.containers.run("busybox", ["sh", "-c", "echo x"], detach=True)
    container.wait(timeout=10)
    container.restart()
    container.wait(timeout=10)
    assert container.logs() == b"x\nx\n"


def test_rm_refuses_a_running_container_and_rm_f_kills_it(ph, client):
    cid = _run(ph, "busybox", "sleep", "60")
    pid = _state(client, cid)["Pid"]
    result = ph.docker("rm", cid)
    assert result.returncode != 0
    assert b"You cannot remove a running container" in result.stderr
    assert ph.docker("rm", "-f", cid).returncode == 0
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(cid)
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 5, what="the process to be gone")


def test_rm_removes_the_containers_files_and_cgroup(ph, client):
    cid = _run(ph, "busybox", "sleep", "60")
    cgroup = f"/sys/fs/cgroup/memory/{ph.cgroup_parent}/{cid}"
    assert os.path.isdir(cgroup)
    client.containers.get(cid).remove(force=True)
    assert not (ph.data_root / "containers" / cid).exists()
    assert not (ph.exec_root / "containers" / cid).exists()
    assert not os.path.exists(cgroup)


def test_an_rm_that_cannot_delete_the_files_leaves_a_dead_container_until_an_rm_succeeds(ph, client):
    cid = _run(ph, "busybox", "true")
    client.containers.get(cid).wait(timeout=10)
    busy = ph.data_root / "containers" / cid / "held-by-a-mount"
    busy.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(busy)], check=True)  # rmdir of a mount point: EBUSY
    try:
        result = ph.docker("rm", cid)
        assert result.returncode == 1
        assert f"unable to remove filesystem for {cid}: [Errno 16] Device or resource busy".encode() in result.stderr
        state = _state(client, cid)
        assert (state["Status"], state["Dead"]) == ("dead", True)
        assert state["Error"].startswith(f"unable to remove filesystem for {cid}")
        assert ph.docker("ps", "-aq", "--no-trunc", "--filter", "status=dead").stdout.decode().split() == [cid]
        started = ph.docker("start", cid)
        assert b"container is marked for removal and cannot be started" in started.stderr
    finally:
        subprocess.run(["umount", str(busy)], check=True)
    ph.docker("rm", cid, check=True)
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(cid)
    assert not (ph.data_root / "containers" / cid).exists()


def test_rm_v_removes_anonymous_volumes_but_keeps_named_ones(ph, client):
    client.volumes.create("keepme")
    container = client.containers.create("busybox", ["true"], volumes=["/anon", "keepme:/named"])
    anon = next(m["Name"] for m in container.attrs["Mounts"] if m["Destination"] == "/anon")
    ph.docker("rm", "-v", container.id, check=True)
    names = {v.name for v in client.volumes.list()}
    assert anon not in names
    assert "keepme" in names


def test_rm_without_v_keeps_anonymous_volumes(ph, client):
    container = client.containers.create("busybox", ["true"], volumes=["/anon"])
    anon = container.attrs["Mounts"][0]["Name"]
    ph.docker("rm", container.id, check=True)
    assert anon in {v.name for v in client.volumes.list()}


def test_wait_blocks_until_exit_and_returns_the_code(ph, client):
    container = client.containers.run("busybox", ["sh", "-c", "sleep 0.5; exit 9"], detach=True)
    started = time.monotonic()
    assert ph.docker("wait", container.id).stdout == b"9\n"
    assert time.monotonic() - started >= 0.3
    assert container.wait(timeout=5) == {"StatusCode": 9, "Error": None}


def test_wait_on_many_containers_prints_each_code(ph, client):
    a = client.containers.run("busybox", ["sh", "-c", "exit 1"], detach=True)
    b = client.containers.run("busybox", ["sh", "-c", "exit 2"], detach=True)
    assert ph.docker("wait", a.id, b.id).stdout == b"1\n2\n"


def test_wait_condition_removed_returns_after_rm(ph, client):
    container = client.containers.run("busybox", ["sh", "-c", "exit 4"], detach=True)
    container.wait(timeout=10)
    result: list[dict] = []
    waiter = threading.Thread(target=lambda: result.append(container.wait(condition="removed", timeout=20)))
    waiter.start()
    try:
        time.sleep(0.3)  # the waiter must be waiting before the removal, or the test proves nothing
        assert result == []
        container.remove()
    finally:
        waiter.join(timeout=20)
    assert result == [{"StatusCode": 4, "Error": None}]


def test_top_lists_the_containers_processes_only(ph, client):
    cid = _run(ph, "busybox", "sh", "-c", "sleep 61 & sleep 62 & echo ready; wait")
    _ready(client, cid)
    top = client.containers.get(cid).top()
    assert "PID" in top["Titles"] and "CMD" in top["Titles"]
    commands = sorted(p[top["Titles"].index("CMD")] for p in top["Processes"])
    assert commands == ["sh -c sleep 61 & sleep 62 & echo ready; wait", "sleep 61", "sleep 62"]
    out = ph.docker("top", cid, "-o", "pid,comm", check=True).stdout.decode().split("\n")
    assert out[0].split() == ["PID", "COMMAND"]
    assert sorted(line.split()[1] for line in out[1:] if line) == ["sh", "sleep", "sleep"]


def test_top_of_a_stopped_container_is_a_conflict(ph, client):
    container = client.containers.create("busybox", ["true"])
    result = ph.docker("top", container.id)
    assert result.returncode != 0
    assert b"is not running" in result.stderr


def test_lifecycle_events_are_published_in_order(ph, client):
    since = time.time()
    cid = _run(ph, "busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done")
    ph.docker("stop", cid, check=True)
    ph.docker("rm", cid, check=True)
    events = client.events(
        since=since, until=time.time() + 0.5, decode=True, filters={"container": cid, "type": "container"}
    )
    actions = [e["Action"] for e in events]
    assert actions == ["create", "start", "kill", "die", "stop", "destroy"]


def test_signal_of_a_dead_pid_never_reaches_a_reused_pid(ph, client):
    cid = _run(ph, "busybox", "sleep", "60")
    pid = _state(client, cid)["Pid"]
    os.kill(pid, signal.SIGKILL)  # behind the daemon's back
    wait_for(lambda: _state(client, cid)["Status"] == "exited", 10, what="the exit to be noticed")
    assert _state(client, cid)["ExitCode"] == 137
    result = ph.docker("kill", cid)
    assert result.returncode != 0


def test_stop_with_a_negative_timeout_waits_for_the_process(ph, client):
    cid = _run(ph, "busybox", "sh", "-c", "trap 'sleep 1; exit 5' TERM; echo ready; while true; do sleep 0.05; done")
    _ready(client, cid)
    started = time.monotonic()
    assert ph.docker("stop", "-t", "-1", cid).returncode == 0
    assert time.monotonic() - started >= 0.9
    assert _state(client, cid)["ExitCode"] == 5  # its own exit, not a SIGKILL


def test_restart_of_an_auto_remove_container_keeps_it(ph, client):
    cid = _run(ph, "--rm", "busybox", "sh", "-c", "echo ready; trap 'exit 0' TERM; while true; do sleep 0.05; done")
    _ready(client, cid)
    first_pid = _state(client, cid)["Pid"]
    assert ph.docker("restart", "-t", "5", cid).returncode == 0
    state = _state(client, cid)
    assert state["Status"] == "running" and state["Pid"] != first_pid
    ph.docker("stop", cid, check=True)  # a stop still ends a --rm container
    wait_for(lambda: ph.docker("ps", "-aq").stdout == b"", 10, what="the --rm container to go")
    assert not os.path.exists(f"/sys/fs/cgroup/memory/{ph.cgroup_parent}/{cid}")
