"""A container's records and host resources kept in step with what happened to it: its state and config written
now or, when the disk refuses (a full disk), by DeferredWork once it takes them; its cgroup and network sandbox
released after its process is gone, retried on failure and done before its next start; and, at daemon start, its
paused state read from the kernel's freezer."""

import logging
import threading
from collections.abc import Callable

from runtime.engine.config import DaemonConfig
from runtime.engine.deferred import DeferredWork
from runtime.engine.isolation import release_shared_shm
from runtime.engine.launch import Layout, cgroup_for
from runtime.engine.model import PAUSED, RUNNING, Container
from runtime.engine.networking import ContainerNetworks
from runtime.engine.statewatch import StateWatch
from runtime.engine.store import ContainerStore, HealthLogFile
from runtime.errors import EngineError

log = logging.getLogger("porthole.engine")


class Upkeep:
    def __init__(
        self,
        config: DaemonConfig,
        store: ContainerStore,
        sandboxes: ContainerNetworks,
        deferred: DeferredWork,
        watch: StateWatch,
        lock: Callable[[Container], threading.RLock],
    ) -> None:
        self._config = config
        self._store = store
        self._sandboxes = sandboxes
        self._deferred = deferred
        self._watch = watch
        self._lock = lock

    def save_state(self, container: Container) -> None:
        """Write the state memory holds, now or by a retry; never raises a host's refusal (the transition it
        records has happened), and wakes the waiters either way."""
        self._deferred.attempt(
            ("state", container.id),
            lambda: self._write(container, self._store.save_state),
            f"saving the state of container {container.id}",
        )
        self._watch.notify()

    def open_health_log(self, container: Container) -> HealthLogFile:
        return self._store.open_health_log(container)

    def save_health(self, container: Container, health_log: HealthLogFile) -> None:
        """The health log, after every probe (a refusal is retried, the next probe writes it anyway)."""
        self._deferred.attempt(
            ("health", container.id),
            lambda: self._write(container, health_log.write),
            f"saving the health log of container {container.id}",
        )

    def save_config(self, container: Container) -> None:
        self._deferred.attempt(
            ("config", container.id),
            lambda: self._write(container, self._store.save_config),
            f"saving the config of container {container.id}",
        )

    def _write(self, container: Container, write: Callable[[Container], None]) -> None:
        with self._lock(container):  # what memory holds now, not what it held when the first attempt failed
            if not self._watch.is_removed(container):
                write(container)

    def release(self, container: Container) -> None:
        """The cgroup, the network sandbox and a shareable /dev/shm of a container whose process is gone (or never
        started): each failure is logged and retried, and what is still pending is done before the next start."""
        run = container.state.started_at
        self._deferred.attempt(
            ("shm", container.id),
            self._for_run(container, run, lambda: release_shared_shm(Layout(self._config, container.id).exec_dir)),
            f"unmounting the shared /dev/shm of container {container.id}",
        )
        self._deferred.attempt(
            ("cgroup", container.id),
            self._for_run(container, run, lambda: cgroup_for(self._config, container.id).destroy()),
            f"removing the cgroup of container {container.id}",
        )
        self._deferred.attempt(
            ("network", container.id),
            self._for_run(container, run, lambda: self._sandboxes.destroy(container)),
            f"releasing the network of container {container.id}",
        )

    def _for_run(self, container: Container, run: str, step: Callable[[], None]) -> Callable[[], None]:
        """`step`, skipped if the container runs again since (a start does what is pending first, so a retry
        that lost the race to it must not tear the new run down)."""

        def work() -> None:
            with self._lock(container):
                if not (container.state.live and container.state.started_at != run):
                    step()

        return work

    def release_pending(self, container: Container) -> None:
        """Before a start: what a failed release left; raises if the host still refuses it."""
        for kind in ("shm", "cgroup", "network"):
            self._deferred.run_pending((kind, container.id))

    def reconcile_pause(self, container: Container) -> None:
        """Paused exactly when the kernel says frozen: the daemon may have gone between a freeze (or a thaw)
        and its record. A freeze it left half-done (v1 FREEZING) is undone, as that pause never answered."""
        cgroup = cgroup_for(self._config, container.id)
        state = container.state
        try:
            frozen = cgroup.is_frozen()
            if not frozen:
                cgroup.freeze(False)
        except (OSError, EngineError) as e:
            log.warning("porthole: container %s: freezer unreadable, kept %s: %s", container.id, state.status, e)
            return
        status = PAUSED if frozen else RUNNING
        if state.status != status:
            log.info("porthole: container %s: recorded %s, the kernel has it %s", container.id, state.status, status)
            state.status = status
            self.save_state(container)
