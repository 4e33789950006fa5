"""The engine's Lifecycle in a world of fakes: the seams to the host (cgroups, the spec, shims, signals, the exit
monitor, sandboxes) record what was asked, so its decisions can be tested deterministically."""

import threading
from dataclasses import dataclass, field

import pytest

from logdrivers.registry import builtin_registry
from runtime.engine import lifecycle as lifecycle_module
from runtime.engine import upkeep as upkeep_module
from runtime.engine.config import DaemonConfig
from runtime.engine.deferred import DeferredWork
from runtime.engine.events import EventBus
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.model import Container
from runtime.engine.shims import ShimStarted
from runtime.engine.store import ContainerStore
from runtime.engine.volume_mounts import ContainerVolumes
from runtime.errors import Conflict
from runtime.security import SecurityPolicy, own_capabilities
from runtime.volumes import VolumeService


@dataclass
class FakeCgroup:
    """One container's group; `frozen` is what the kernel's freezer reports."""

    frozen: bool = False

    def oom_kills(self) -> int:
        return 0

    def destroy(self) -> None:
        pass

    def is_frozen(self) -> bool:
        return self.frozen

    def freeze(self, frozen: bool) -> None:
        self.frozen = frozen


class FakeSpec:
    terminal = False

    def write(self, path) -> None:
        pass


@dataclass
class FakeSandboxes:
    """One sandbox per running container, as the network room keeps them: a second create is a Conflict."""

    running: set[str] = field(default_factory=set)
    creates: int = 0
    refusal: BaseException | None = None  # destroy() raises it while set (a full disk under the state save)

    def plan(self, container: Container) -> object:
        return object()

    def create(self, container: Container) -> None:
        if container.id in self.running:
            raise Conflict(f"network: sandbox of container {container.id}: already exists")
        self.running.add(container.id)
        self.creates += 1

    def destroy(self, container: Container) -> None:
        if self.refusal is not None and container.id in self.running:
            raise self.refusal
        self.running.discard(container.id)

    def link_environment(self, container: Container) -> list[str]:
        return []


class FakeShims:
    def __init__(self) -> None:
        self.next_pid = 1000

    def start_container(self, spec_path, terminal, make_network) -> ShimStarted:
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
    cgroup = FakeCgroup()  # the one container's
    monkeypatch.setattr(lifecycle_module, "prepare_cgroup", lambda *args: (cgroup, []))
    for module in (lifecycle_module, upkeep_module):
        monkeypatch.setattr(module, "cgroup_for", lambda config, container_id: cgroup)
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
    deferred = DeferredWork(interval=0.02)
    security = SecurityPolicy(own_capabilities())
    volume_mounts = ContainerVolumes(VolumeService(config.data_root), store)
    lifecycle = Lifecycle(
        config,
        store,
        shims,
        monitor,
        EventBus(),
        sandboxes,
        registry,
        security,
        lambda c, v: None,
        volume_mounts=volume_mounts,
        deferred=deferred,
    )
    container = Container(
        id="c" * 64, name="looping", created="2026-12-06T00:00:00Z", image_ref="busybox", image_id="sha256:" + "0" * 64,
        config={}, host_config={"RestartPolicy": {"Name": "always"}, "LogConfig": {"Type": "none", "Config": {}}},
        networking_config={}, mounts=[],
        path="sh", args=[], layers=[],
    )  # fmt: skip
    store.add(container)
    yield lifecycle, container, monitor, sandboxes
    lifecycle.close()
    deferred.close()
