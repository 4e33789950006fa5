"""Lifecycle's decisions where a policy restart and a user's request meet, made deterministic: the seams to the
host (cgroups, the spec, shims, signals, the exit monitor, sandboxes) are fakes that record what was asked."""

import threading
from dataclasses import dataclass, field

import pytest

from logdrivers.registry import builtin_registry
from runtime.engine import lifecycle as lifecycle_module
from runtime.engine.config import DaemonConfig
from runtime.engine.events import EventBus
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.model import RESTARTING, RUNNING, Container
from runtime.engine.shims import ShimStarted
from runtime.engine.store import ContainerStore
from runtime.engine.volume_mounts import ContainerVolumes
from runtime.errors import Conflict
from runtime.volumes import VolumeService


class FakeCgroup:
    def oom_kills(self) -> int:
        return 0

    def destroy(self) -> None:
        pass


class FakeSpec:
    def write(self, path) -> None:
        pass


@dataclass
class FakeSandboxes:
    """One sandbox per running container, as the network room keeps them: a second create is a Conflict."""

    running: set[str] = field(default_factory=set)
    creates: int = 0

    def plan(self, container: Container) -> object:
        return object()

    def create(self, container: Container) -> None:
        if container.id in self.running:
            raise Conflict(f"network: sandbox of container {container.id}: already exists")
        self.running.add(container.id)
        self.creates += 1

    def destroy(self, container: Container) -> None:
        self.running.discard(container.id)


class FakeShims:
    def __init__(self) -> None:
        self.next_pid = 1000

    def start_container(self, spec_path, make_network) -> ShimStarted:
        make_network()
        self.next_pid += 2
        return ShimStarted(self.next_pid, 1, self.next_pid + 1)


class FakeMonitor:
    """Exits happen when the test (or a signal) says so."""

    def __init__(self) -> None:
        self.on_exit: dict[int, object] = {}

    def watch(self, shim_pid: int, on_exit) -> None:
        self.on_exit[shim_pid] = on_exit

    def exit(self, shim_pid: int) -> None:
        on_exit = self.on_exit.pop(shim_pid, None)  # a second signal to a process already gone does nothing
        if on_exit is not None:
            on_exit()


@pytest.fixture
def world(tmp_path, monkeypatch):
    monitor = FakeMonitor()
    monkeypatch.setattr(lifecycle_module, "prepare_cgroup", lambda config, container: (FakeCgroup(), []))
    monkeypatch.setattr(lifecycle_module, "cgroup_for", lambda config, container_id: FakeCgroup())
    monkeypatch.setattr(lifecycle_module, "build_spec", lambda *args: FakeSpec())
    # a signal ends the process at once: its shim exits
    monkeypatch.setattr(
        lifecycle_module,
        "send_signal",
        lambda pid, starttime, signum: threading.Thread(target=monitor.exit, args=(pid + 1,)).start() or True,
    )
    config = DaemonConfig(data_root=tmp_path / "data", exec_root=tmp_path / "exec")
    store = ContainerStore(config.containers_dir)
    sandboxes = FakeSandboxes()
    shims, registry = FakeShims(), builtin_registry()
    volume_mounts = ContainerVolumes(VolumeService(config.data_root), store)
    lifecycle = Lifecycle(
        config, store, shims, monitor, EventBus(), sandboxes, registry, lambda c, v: None, volume_mounts
    )
    container = Container(
        id="c" * 64, name="looping", created="2026-12-06T00:00:00Z", image_ref="busybox", image_id="sha256:" + "0" * 64,
        config={}, host_config={"RestartPolicy": {"Name": "always"}}, networking_config={}, mounts=[],
        path="sh", args=[], layers=[],
    )  # fmt: skip
    store.add(container)
    yield lifecycle, container, monitor, sandboxes
    lifecycle.close()


def test_a_restart_that_a_policy_restart_beats_to_the_lock_does_not_launch_twice(world, monkeypatch):
    lifecycle, container, monitor, sandboxes = world
    monkeypatch.setattr(lifecycle._timers, "schedule", _hold_turns(lifecycle._timers))
    lifecycle.start(container)
    monitor.exit(container.state.shim_pid)  # it exits on its own: the policy schedules a restart
    assert container.state.status == RESTARTING
    turn = lifecycle._timers.turns[container.id]

    errors: list[BaseException] = []
    lock = lifecycle.lock(container)
    with lock:  # the user's restart arrives while the policy's timer fires and holds the lock first
        user = threading.Thread(target=_catching(errors, lifecycle.restart, container, 0))
        user.start()
        # it now waits for the lock; the old code had decided "not live: launch" before taking it (the pause
        # only gives it the time to get there: the new code is right whatever the timing)
        user.join(0.2)
        lifecycle._restart_now(container, turn)
        assert container.state.status == RUNNING
    user.join(10)

    assert errors == []
    assert container.state.status == RUNNING
    assert sandboxes.running == {container.id}
    assert sandboxes.creates == 3  # start, the policy restart, and the user's restart after stopping it


def _hold_turns(timers):
    """schedule() that records each turn instead of arming a timer: the test fires them."""
    timers.turns = {}

    def schedule(container_id, ran_for, restart) -> None:
        turn = object()
        timers._timers[container_id] = (threading.Timer(3600, lambda: None), turn)
        timers.turns[container_id] = turn

    return schedule


def _catching(errors: list[BaseException], function, *args):
    def run() -> None:
        try:
            function(*args)
        except BaseException as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    return run
