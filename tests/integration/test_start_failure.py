"""An error no layer of start expects (here a FileNotFoundError while the spec is built, injected by
tests/support/startfault.py) answers `docker run` and `docker start` at once with a 500 that says it, and
leaves the container as a failed start leaves it: created, its network, volumes and cgroup gone."""

import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.daemon import REPO, TestDaemon, running
from tests.support.startfault import LABEL

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, busybox_rootfs) -> Iterator[TestDaemon]:
    daemon = TestDaemon(
        tmp_path_factory.mktemp("porthole-fault"),
        env={"PYTHONPATH": str(REPO / "tests" / "support" / "crashpoints"), "PORTHOLE_START_FAULT": "1"},
    )
    with running(daemon, busybox_rootfs) as d:
        yield d


@pytest.fixture
def fd(faulty) -> Iterator[TestDaemon]:
    yield faulty
    faulty.remove_everything()


def _run_broken(fd: TestDaemon, *flags: str):
    started = time.monotonic()
    result = fd.docker("run", *flags, "--name", "broken", "--label", LABEL, "busybox", "true", timeout=30)
    assert time.monotonic() - started < 10
    assert result.returncode != 0
    assert "No such file or directory: '/injected/by/the/test'" in result.stderr.decode()
    return result


def test_run_with_rm_answers_at_once_and_the_container_is_gone(fd):
    _run_broken(fd, "--rm")
    assert fd.client().api.containers(all=True) == []


@pytest.mark.parametrize("detach", [(), ("-d",)], ids=["attached", "detached"])
def test_run_answers_at_once_with_the_error(fd, detach):
    _run_broken(fd, *detach)
    state = fd.client().api.inspect_container("broken")["State"]
    assert (state["Status"], state["Pid"], state["Running"]) == ("created", 0, False)
    assert "/injected/by/the/test" in state["Error"]


def test_a_failed_start_leaves_nothing_made_and_the_daemon_serves(fd):
    fd.docker("create", "--name", "broken", "--label", LABEL, "-v", "kept:/data", "busybox", "true", check=True)
    with pytest.raises(Exception, match="/injected/by/the/test"):
        fd.client().api.start("broken")
    container_id = fd.client().api.inspect_container("broken")["Id"]
    assert not list(fd.exec_root.glob(f"**/{container_id}/spec.json"))
    assert not list(Path("/sys/fs/cgroup").glob(f"*/{fd.cgroup_parent}/*{container_id}*"))
    assert "failed to start container" in fd.log_tail()
    assert fd.docker("run", "--rm", "busybox", "echo", "fine", timeout=30).stdout == b"fine\n"


def test_a_full_disk_during_start_is_a_507_naming_the_file(fd):
    """The client can act on a full disk (free space, retry): it keeps its own answer, not a bug's 500."""
    fd.docker("create", "--name", "broken", "--label", f"{LABEL}=enospc", "busybox", "true", check=True)
    with pytest.raises(docker.errors.APIError) as refused:
        fd.client().api.start("broken")
    assert refused.value.response.status_code == 507
    assert "/injected/by/the/test" in str(refused.value) and "ENOSPC" in str(refused.value)
