"""pause and unpause: the freezer stops every process of the container, and thaws them."""

import os
import signal

import pytest
import requests

from tests.support.crashingdaemon import CrashingDaemon
from tests.support.daemon import running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

COUNTER = "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done"


def _freezer_state(ph, cid: str) -> str:
    with open(f"/sys/fs/cgroup/freezer/{ph.cgroup_parent}/{cid}/freezer.state") as f:
        return f.read().strip()


def _task_states(ph, cid: str) -> set[str]:
    with open(f"/sys/fs/cgroup/freezer/{ph.cgroup_parent}/{cid}/cgroup.procs") as f:
        pids = [int(p) for p in f.read().split()]
    states = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                states.add(next(line.split()[1] for line in f if line.startswith("State:")))
        except FileNotFoundError:
            continue  # a sleep that ended between the two reads
    return states


def _count(ph, client, cid: str) -> int:
    upper = client.api.inspect_container(cid)["GraphDriver"]["Data"]["UpperDir"]
    with open(os.path.join(upper, "tmp", "count")) as f:
        text = f.read().strip()
    return int(text) if text else 0


def test_pause_freezes_every_process_and_unpause_thaws_them(ph, client):
    cid = ph.docker("run", "-d", "busybox", "sh", "-c", COUNTER, check=True).stdout.decode().strip()
    wait_for(lambda: _count(ph, client, cid) > 2, 10, what="the counter to run")
    assert ph.docker("pause", cid).returncode == 0
    state = client.api.inspect_container(cid)["State"]
    assert (state["Status"], state["Paused"], state["Running"]) == ("paused", True, True)
    assert _freezer_state(ph, cid) == "FROZEN"
    assert _task_states(ph, cid) == {"D"}  # frozen tasks show as uninterruptible
    frozen_at = _count(ph, client, cid)
    # the counter would have moved by about 10 in this time; frozen, it does not move at all
    with pytest.raises(AssertionError):
        wait_for(lambda: _count(ph, client, cid) != frozen_at, 0.5, what="a change")
    ps = ph.docker("ps", "--format", "{{.Status}}", check=True).stdout.decode()
    assert ps.endswith("(Paused)\n")

    client.containers.get(cid).unpause()
    assert client.api.inspect_container(cid)["State"]["Status"] == "running"
    assert _freezer_state(ph, cid) == "THAWED"
    wait_for(lambda: _count(ph, client, cid) > frozen_at, 5, what="the counter to move again")


def test_pause_of_a_paused_or_stopped_container_is_a_conflict(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    container.pause()
    result = ph.docker("pause", container.id)
    assert result.returncode != 0
    assert b"is already paused" in result.stderr
    container.unpause()
    result = ph.docker("unpause", container.id)
    assert result.returncode != 0
    assert b"is not paused" in result.stderr
    stopped = client.containers.create("busybox", ["true"])
    result = ph.docker("pause", stopped.id)
    assert result.returncode != 0
    assert b"is not running" in result.stderr


def test_a_paused_container_can_be_stopped_and_removed(ph, client):
    cid = (
        ph.docker("run", "-d", "busybox", "sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.05; done", check=True)
        .stdout.decode()
        .strip()
    )
    ph.docker("pause", cid, check=True)
    assert ph.docker("stop", "-t", "5", cid).returncode == 0
    assert client.api.inspect_container(cid)["State"]["ExitCode"] == 3
    cid2 = ph.docker("run", "-d", "busybox", "sleep", "60", check=True).stdout.decode().strip()
    ph.docker("pause", cid2, check=True)
    assert ph.docker("rm", "-f", cid2).returncode == 0
    assert not os.path.exists(f"/sys/fs/cgroup/freezer/{ph.cgroup_parent}/{cid2}")


def test_exec_into_a_paused_container_is_refused(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    container.pause()
    result = ph.docker("exec", container.id, "true")
    assert result.returncode != 0
    assert b"is paused" in result.stderr


def test_start_of_a_paused_container_is_a_conflict(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    container.pause()
    result = ph.docker("start", container.id)
    assert result.returncode != 0
    assert b"cannot start a paused container" in result.stderr


def _set_freezer(ph, cid: str, state: str) -> None:
    with open(f"/sys/fs/cgroup/freezer/{ph.cgroup_parent}/{cid}/freezer.state", "w") as f:
        f.write(state)
    wait_for(lambda: _freezer_state(ph, cid) == state, 10, what=f"the freezer to read {state}")


def _restart_daemon(ph, while_down) -> None:
    ph.kill(signal.SIGKILL)
    try:
        while_down()
    finally:
        ph.start()


def test_a_freeze_the_daemon_did_not_record_before_it_died_reads_as_paused(ph, client):
    cid = ph.docker("run", "-d", "busybox", "sleep", "600", check=True).stdout.decode().strip()
    # what a SIGKILL between the freeze and the record leaves: the kernel froze it, the record says running
    _restart_daemon(ph, lambda: _set_freezer(ph, cid, "FROZEN"))
    state = client.api.inspect_container(cid)["State"]
    assert (state["Status"], state["Paused"]) == ("paused", True)
    assert ph.docker("unpause", cid).returncode == 0
    assert _freezer_state(ph, cid) == "THAWED"
    assert ph.docker("stop", "-t", "1", cid).returncode == 0


def test_a_thaw_the_daemon_did_not_record_before_it_died_reads_as_running(ph, client):
    cid = ph.docker("run", "-d", "busybox", "sleep", "600", check=True).stdout.decode().strip()
    ph.docker("pause", cid, check=True)
    _restart_daemon(ph, lambda: _set_freezer(ph, cid, "THAWED"))
    assert client.api.inspect_container(cid)["State"]["Status"] == "running"
    assert ph.docker("exec", cid, "true").returncode == 0


def test_a_daemon_killed_between_the_freeze_and_its_record_comes_back_paused(tmp_path_factory, busybox_rootfs):
    with running(CrashingDaemon(tmp_path_factory.mktemp("porthole")), busybox_rootfs) as crashing:
        client = crashing.client()
        cid = crashing.docker("run", "-d", "busybox", "sleep", "600", check=True).stdout.decode().strip()
        crashing.arm(1, only="after runtime.cgroups.cgroupfile.write_file")  # right after the freezer's write
        with pytest.raises(requests.ConnectionError):
            client.api.pause(cid)
        crashing.process.wait(timeout=30)
        assert crashing.crashes() == {"after runtime.cgroups.cgroupfile.write_file": 1}
        assert _freezer_state(crashing, cid) == "FROZEN"
        crashing.restart()
        client = crashing.client()
        assert client.api.inspect_container(cid)["State"]["Status"] == "paused"
        client.api.unpause(cid)
        assert _freezer_state(crashing, cid) == "THAWED"
        client.api.stop(cid, timeout=1)
        client.close()
