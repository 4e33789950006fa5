"""Lifecycle when the host refuses a write or a cleanup (a full disk): the signal is sent and the exit recorded
all the same, and the record reaches the disk once space returns (the world of fakes of conftest.py)."""

import errno
import json
import signal

import pytest

from runtime.engine import lifecycle as lifecycle_module
from runtime.engine.model import EXITED, PAUSED, RUNNING
from runtime.errors import HostError
from tests.support.waiting import wait_for

FULL = OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(world, monkeypatch):
    """The store's writes fail with ENOSPC while `full["on"]` is True."""
    lifecycle, container, monitor, sandboxes = world
    store = lifecycle._store
    full = {"on": False}
    save_state = store.save_state

    def save_or_refuse(c) -> None:
        if full["on"]:
            raise FULL
        save_state(c)

    monkeypatch.setattr(store, "save_state", save_or_refuse)
    return full


def _on_disk(lifecycle, container) -> dict:
    return json.loads((lifecycle._store.directory(container.id) / "state.json").read_text())


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_kill_and_stop_signal_though_the_state_cannot_be_saved(world, full_disk, how):
    lifecycle, container, monitor, sandboxes = world
    lifecycle.start(container)
    full_disk["on"] = True
    if how == "kill":
        lifecycle.kill(container, signal.SIGKILL)
    else:
        lifecycle.stop(container, timeout=1)
    wait_for(lambda: container.state.status == EXITED, 5, what="the exit")
    assert container.state.manually_stopped is True
    assert _on_disk(lifecycle, container)["status"] == RUNNING  # nothing could be written
    full_disk["on"] = False
    wait_for(lambda: _on_disk(lifecycle, container)["status"] == EXITED, 5, what="the record to reach the disk")
    assert _on_disk(lifecycle, container)["manually_stopped"] is True


def test_an_exit_whose_network_cleanup_fails_is_recorded_and_the_cleanup_retried(world):
    lifecycle, container, monitor, sandboxes = world
    lifecycle.start(container)
    sandboxes.refusal = FULL
    lifecycle.stop(container, timeout=1)
    assert container.state.status == EXITED
    assert sandboxes.running == {container.id}  # still held: its release is retried
    with pytest.raises(OSError):
        lifecycle.start(container)  # a start first does what is pending, and says why it cannot
    assert container.state.status == EXITED
    sandboxes.refusal = None
    wait_for(lambda: sandboxes.running == set(), 5, what="the retry to release the network")
    lifecycle.start(container)
    assert (container.state.status, sandboxes.running) == (RUNNING, {container.id})


def test_a_retry_that_loses_the_race_to_a_start_leaves_the_new_run_alone(world):
    lifecycle, container, monitor, sandboxes = world
    lifecycle.start(container)
    sandboxes.refusal = HostError("network: netlink refused")
    lifecycle.stop(container, timeout=1)
    pending = lifecycle._upkeep._deferred._pending[("network", container.id)]
    sandboxes.refusal = None
    with lifecycle.lock(container):  # the start runs the pending cleanup itself, then starts
        lifecycle.start(container)
        assert sandboxes.running == {container.id}
    pending.work()  # what the retry thread would run if it had taken its copy before the start
    assert sandboxes.running == {container.id}
    assert container.state.status == RUNNING


@pytest.mark.parametrize(
    "recorded, frozen, reported",
    [(RUNNING, True, PAUSED), (PAUSED, False, RUNNING), (PAUSED, True, PAUSED), (RUNNING, False, RUNNING)],
)
def test_restore_reports_paused_exactly_when_the_kernel_has_it_frozen(world, monkeypatch, recorded, frozen, reported):
    lifecycle, container, monitor, sandboxes = world
    lifecycle.start(container)
    container.state.status = recorded  # what the record said when the daemon died
    lifecycle._store.save_state(container)
    lifecycle_module.cgroup_for(lifecycle._config, container.id).frozen = frozen
    monkeypatch.setattr(lifecycle_module, "is_alive", lambda pid, starttime: True)
    lifecycle.restore(container)
    assert container.state.status == reported
    assert _on_disk(lifecycle, container)["status"] == reported
