"""Container states and restart policies: on-failure:N with its growing back-off, always, no restart after stop
or kill, the restarting state, and OOM kills."""

import os
import signal
import time

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

# moby's restart manager: 100 ms before the first restart, doubled before each next one
FIRST_DELAYS = (0.1, 0.2, 0.4)


def _state(client, cid: str) -> dict:
    attrs = client.api.inspect_container(cid)
    return {**attrs["State"], "RestartCount": attrs["RestartCount"]}


def _start_times(ph, cid: str) -> list[float]:
    """When each run printed its line, from the log's own timestamps."""
    out = ph.docker("logs", "-t", cid, check=True).stdout.decode().splitlines()
    times = []
    for line in out:
        stamp = line.split()[0]
        clock, _, fraction = stamp.rstrip("Z").partition(".")
        hours, minutes, seconds = clock.split("T")[1].split(":")
        times.append(int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction}"))
    return times


def _stays(condition, seconds: float) -> bool:
    """True if `condition` holds every time it is looked at during `seconds` (for "it did not restart")."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not condition():
            return False
        time.sleep(0.05)
    return True


def test_on_failure_n_retries_n_times_with_a_growing_back_off(ph, client):
    cid = (
        ph.docker("run", "-d", "--restart", "on-failure:3", "busybox", "sh", "-c", "echo run; exit 5", check=True)
        .stdout.decode()
        .strip()
    )
    wait_for(
        lambda: _state(client, cid)["RestartCount"] == 3 and _state(client, cid)["Status"] == "exited",
        15,
        what="three restarts, then the end",
    )
    state = _state(client, cid)
    assert state["ExitCode"] == 5
    assert client.api.inspect_container(cid)["HostConfig"]["RestartPolicy"] == {
        "Name": "on-failure",
        "MaximumRetryCount": 3,
    }
    starts = _start_times(ph, cid)
    assert len(starts) == 4  # the first run and three restarts
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    for gap, delay in zip(gaps, FIRST_DELAYS, strict=True):
        assert gap >= delay, gaps
    assert gaps[2] > gaps[0] + 0.15, gaps  # the back-off grows
    assert _stays(lambda: _state(client, cid)["RestartCount"] == 3, 1.0)  # and no fourth retry comes


def test_on_failure_does_not_restart_a_clean_exit(ph, client):
    container = client.containers.run("busybox", ["true"], detach=True, restart_policy={"Name": "on-failure"})
    assert container.wait(timeout=10)["StatusCode"] == 0
    assert _stays(lambda: _state(client, container.id)["Status"] == "exited", 0.5)
    assert _state(client, container.id)["RestartCount"] == 0


def test_always_restarts_a_clean_exit_and_passes_through_restarting(ph, client):
    cid = (
        ph.docker("run", "-d", "--restart", "always", "busybox", "sh", "-c", "echo run; sleep 0.1", check=True)
        .stdout.decode()
        .strip()
    )
    # the sixth run (the fifth restart) is followed by a back-off of 3.2 s: time to look at the state
    wait_for(lambda: client.containers.get(cid).logs().count(b"run") >= 6, 15, what="five restarts")
    restarting = wait_for(
        lambda: (s := _state(client, cid))["Status"] == "restarting" and s, 5, what="the restarting state"
    )
    assert restarting["Restarting"] is True and restarting["Running"] is True  # as moby reports it
    assert restarting["ExitCode"] == 0
    assert ph.docker("ps", "-q", "--no-trunc").stdout.decode().split() == [cid]  # listed without -a
    refused = ph.docker("rm", cid)
    assert refused.returncode != 0
    assert b"You cannot remove a restarting container" in refused.stderr
    ps = ph.docker("ps", "-a", "--format", "{{.Status}}", check=True).stdout.decode()
    assert ps.startswith("Restarting (0)") or ps.startswith("Up ")
    ph.docker("stop", cid, check=True)  # stopping a restarting container ends the restarts
    assert _state(client, cid)["Status"] == "exited"
    count = _state(client, cid)["RestartCount"]
    assert _stays(
        lambda: _state(client, cid)["Status"] == "exited" and _state(client, cid)["RestartCount"] == count, 2.0
    )


@pytest.mark.parametrize("policy", ["always", "unless-stopped", "on-failure"])
def test_no_restart_after_docker_stop(ph, client, policy):
    cid = ph.docker("run", "-d", "--restart", policy, "busybox", "sleep", "60", check=True).stdout.decode().strip()
    ph.docker("stop", "-t", "0", cid, check=True)
    state = _state(client, cid)
    assert (state["Status"], state["ExitCode"]) == ("exited", 137)
    assert _stays(lambda: _state(client, cid)["Status"] == "exited", 1.0)
    assert _state(client, cid)["RestartCount"] == 0


@pytest.mark.parametrize("policy", ["always", "on-failure"])
def test_no_restart_after_docker_kill(ph, client, policy):
    cid = ph.docker("run", "-d", "--restart", policy, "busybox", "sleep", "60", check=True).stdout.decode().strip()
    ph.docker("kill", cid, check=True)
    wait_for(lambda: _state(client, cid)["Status"] == "exited", 10, what="the kill")
    assert _stays(lambda: _state(client, cid)["Status"] == "exited", 1.0)
    assert _state(client, cid)["RestartCount"] == 0


def test_a_process_killed_behind_the_daemons_back_is_restarted(ph, client):
    cid = ph.docker("run", "-d", "--restart", "always", "busybox", "sleep", "60", check=True).stdout.decode().strip()
    first_pid = _state(client, cid)["Pid"]
    os.kill(first_pid, signal.SIGKILL)  # as the kernel or an admin would, not through the API
    wait_for(
        lambda: _state(client, cid)["RestartCount"] == 1 and _state(client, cid)["Status"] == "running",
        10,
        what="the restart",
    )
    assert _state(client, cid)["Pid"] != first_pid


def test_policy_no_leaves_a_failed_container_exited(client):
    container = client.containers.run("busybox", ["sh", "-c", "exit 1"], detach=True)
    container.wait(timeout=10)
    assert _stays(lambda: _state(client, container.id)["Status"] == "exited", 0.5)


def test_docker_start_of_a_stopped_always_container_restarts_it_and_it_keeps_its_policy(ph, client):
    cid = ph.docker("run", "-d", "--restart", "always", "busybox", "sleep", "60", check=True).stdout.decode().strip()
    ph.docker("stop", "-t", "0", cid, check=True)
    ph.docker("start", cid, check=True)
    pid = _state(client, cid)["Pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: _state(client, cid)["RestartCount"] == 1 and _state(client, cid)["Status"] == "running",
        10,
        what="the policy to apply again after start",
    )


def test_oom_kill_shows_oomkilled_and_137(ph, client):
    result = ph.docker("run", "--name", "hog", "-m", "8m", "busybox", "sh", "-c", "x=a; while true; do x=$x$x; done")
    assert result.returncode == 137
    state = _state(client, "hog")
    assert (state["Status"], state["ExitCode"], state["OOMKilled"]) == ("exited", 137, True)


def test_oom_of_a_tmpfs_fill_inside_the_limit(ph, client):
    container = client.containers.run(
        "busybox", ["dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=60"], detach=True, mem_limit="16m"
    )
    assert container.wait(timeout=20)["StatusCode"] == 137
    assert _state(client, container.id)["OOMKilled"] is True


def test_a_sigkill_that_is_not_an_oom_is_not_reported_as_one(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True, mem_limit="16m")
    container.kill()
    assert container.wait(timeout=10)["StatusCode"] == 137
    assert _state(client, container.id)["OOMKilled"] is False


def test_oom_kill_with_restart_policy_restarts_and_resets_oomkilled(ph, client):
    cid = (
        ph.docker(
            "run",
            "-d",
            "-m",
            "8m",
            "--restart",
            "on-failure:1",
            "busybox",
            "sh",
            "-c",
            "if [ -e /tmp/again ]; then sleep 60; fi; touch /tmp/again; x=a; while true; do x=$x$x; done",
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    wait_for(
        lambda: _state(client, cid)["RestartCount"] == 1 and _state(client, cid)["Status"] == "running",
        15,
        what="the restart after the OOM kill",
    )
    assert _state(client, cid)["OOMKilled"] is False  # the running process was not OOM killed
