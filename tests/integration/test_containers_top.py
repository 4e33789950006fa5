"""`docker top` and the PIDs of `docker stats` count the container's processes only: not the daemon's exec helper
(a fork of the shim zygote that waits in the container's cgroup) nor a health prober."""

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


def _commands(ph, name: str) -> list[str]:
    out = ph.docker("top", name, "-o", "pid,args", check=True).stdout.decode().splitlines()[1:]
    return sorted(line.split(None, 1)[1] for line in out)


def test_an_exec_helper_is_neither_in_top_nor_in_the_pids_of_stats(ph, client):
    ph.docker("run", "-d", "--name", "topped", "busybox", "sleep", "60", check=True)
    ph.docker("exec", "-d", "topped", "sleep", "61", check=True)
    wait_for(lambda: "sleep 61" in _commands(ph, "topped"), what="the exec's process in top")
    assert _commands(ph, "topped") == ["sleep 60", "sleep 61"]
    stats = client.containers.get("topped").stats(stream=False)
    assert stats["pids_stats"]["current"] == 2


def test_a_health_prober_is_not_in_top(ph, client):
    ph.docker(
        "run", "-d", "--name", "probed", "--health-cmd", "true", "--health-interval", "1s", "busybox", "sleep", "60",
        check=True,
    )  # fmt: skip
    wait_for(lambda: client.containers.get("probed").attrs["State"]["Health"]["Status"] == "healthy", what="healthy")
    assert _commands(ph, "probed") == ["sleep 60"]
    assert client.containers.get("probed").stats(stream=False)["pids_stats"]["current"] == 1
