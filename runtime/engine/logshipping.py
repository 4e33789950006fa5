"""Remote log drivers, daemon side: one logdrivers Shipper per container whose driver the shim cannot run.

The shim writes such a container's output to its local json-file log (logdrivers.cache.local_spec); a shipper
here follows that file and delivers it through the remote driver (fluentd, gelf, a plugin), persisting its
position in the container's directory. Shippers start when a container starts (the EventBus's "start"),
resume for every container at daemon start, end by themselves once the container has stopped and its log is
shipped, and are told before a container's files are removed so they can finish from the files they hold.
"""

import logging
import threading
from collections.abc import Callable

from logdrivers.driver import DropCounts
from logdrivers.dropstats import drop_stats_path, read_drop_stats, read_failed_lines
from logdrivers.errors import LogDriverError
from logdrivers.metrics import ContainerLogStats, LogStatsSnapshot
from logdrivers.registry import Registry
from logdrivers.shipping.shipper import Shipper, ShipperConfig
from logdrivers.shipping.state import state_path
from runtime.engine.config import DaemonConfig
from runtime.engine.events import EventBus
from runtime.engine.launch import Layout, log_info
from runtime.engine.logconfig import log_config_of
from runtime.engine.model import PAUSED, RESTARTING, RUNNING, Container
from runtime.engine.store import ContainerStore

log = logging.getLogger("porthole.engine")
EVENT_WAIT_S = 0.5  # how soon the event thread notices close()


class ShippingManager:
    def __init__(
        self,
        registry: Registry,
        config: DaemonConfig,
        store: ContainerStore,
        events: EventBus,
        shipper_config: ShipperConfig | None = None,
    ) -> None:
        self._registry, self._config, self._store, self._events = registry, config, store, events
        self._shipper_config = shipper_config or ShipperConfig()
        self._shippers: dict[str, Shipper] = {}
        self._failures: dict[str, LogDriverError] = {}  # containers whose driver could not be created
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Resume shipping for every container with a remote driver (those still running, and stopped ones
        whose log was not fully shipped), then follow container starts."""
        _, subscription = self._events.subscribe(None, actions=frozenset({"start", "destroy"}))
        for container in self._store:
            self.ensure(container)
        self._thread = threading.Thread(
            target=self._follow_events, args=(subscription,), name="log-shipping", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop every shipper; each saved its position and resumes at the next daemon start."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            shippers = list(self._shippers.values())
        for shipper in shippers:
            shipper.stop()

    def ensure(self, container: Container) -> None:
        """A running shipper for the container if its driver is remote (idempotent)."""
        config = container.host_config.get("LogConfig") or {}
        name = config.get("Type", "")
        if not self._registry.is_remote(name):
            return
        with self._lock:
            current = self._shippers.get(container.id)
        if current is not None and not current.finished:
            return
        info = log_info(container, Layout(self._config, container.id))
        try:
            # Outside the lock: a plugin's constructor may take its time, and /metrics must not wait for it.
            driver = self._registry.create_remote(log_config_of(container, self._registry), info)
        except LogDriverError as exc:
            self._failures[container.id] = exc
            log.error("log shipping for %s: %s", container.short_id, exc)
            return
        shipper = Shipper(
            container_id=container.id,
            container_name=container.name,
            driver_name=name,
            driver=driver,
            log_path=info.log_path,
            state_path=state_path(info.log_path),
            still_running=lambda: container.state.status in (RUNNING, PAUSED, RESTARTING),
            config=self._shipper_config,
        )
        with self._lock:
            current = self._shippers.get(container.id)
            if current is not None and not current.finished:
                driver.close()  # another thread started one meanwhile
                return
            self._failures.pop(container.id, None)
            self._shippers[container.id] = shipper
        shipper.start()

    def removing(self, container: Container) -> None:
        """Before the container's files are deleted: its shipper keeps what it has yet to ship open."""
        with self._lock:
            shipper = self._shippers.get(container.id)
            self._failures.pop(container.id, None)
        if shipper is not None and not shipper.finished:
            shipper.container_removed()

    def keeping_logs(self, remove_files: Callable[[Container, bool], None]) -> Callable[[Container, bool], None]:
        """`remove_files` that first lets the container's shipper hold on to its unshipped files."""

        def remove(container: Container, volumes: bool) -> None:
            self.removing(container)
            remove_files(container, volumes)

        return remove

    def log_stats(self) -> LogStatsSnapshot:
        """Per container: the shim's non-blocking drops and, for remote drivers, the shipper's counters."""
        containers, errors = [], list(self._failures.values())
        with self._lock:
            shippers = dict(self._shippers)
        known: set[str] = set()
        for container in self._store:
            known.add(container.id)
            layout = Layout(self._config, container.id)
            try:
                drops = read_drop_stats(drop_stats_path(layout.log_path))
                failed = read_failed_lines(layout.log_failures_path)
            except LogDriverError as exc:
                errors.append(exc)
                continue
            shipper = shippers.get(container.id)
            driver = (container.host_config.get("LogConfig") or {}).get("Type", "")
            shipping = shipper.stats() if shipper is not None else None
            containers.append(ContainerLogStats(container.id, container.name, driver, drops, shipping, failed))
        for container_id, shipper in shippers.items():
            if container_id not in known:  # removed, still draining what it holds
                name = shipper.container_name.removeprefix("/")
                containers.append(
                    ContainerLogStats(container_id, name, shipper.driver_name, DropCounts(), shipper.stats())
                )
        return LogStatsSnapshot(containers, errors)

    def _follow_events(self, subscription) -> None:
        try:
            while not self._closing.is_set():
                event = subscription.next(EVENT_WAIT_S)
                if event is None or event.type != "container":
                    continue
                try:
                    if event.action == "start":
                        self._on_start(event.actor_id)
                    elif event.action == "destroy":
                        self._forget_when_done(event.actor_id)
                except Exception:  # noqa: BLE001 - one container's shipping must not end everyone's
                    log.exception("log shipping: handling %s of %s", event.action, event.actor_id[:12])
        finally:
            subscription.close()

    def _on_start(self, container_id: str) -> None:
        container = next((c for c in self._store if c.id == container_id), None)
        if container is not None:
            self.ensure(container)

    def _forget_when_done(self, container_id: str) -> None:
        """A removed container's shipper leaves the table (and /metrics) once it has finished draining."""
        with self._lock:
            shipper = self._shippers.get(container_id)
        if shipper is None:
            return
        threading.Thread(target=self._forget, args=(container_id, shipper), daemon=True).start()

    def _forget(self, container_id: str, shipper: Shipper) -> None:
        shipper.wait_finished(self._shipper_config.removal_drain_s + 60)
        with self._lock:
            if self._shippers.get(container_id) is shipper:
                del self._shippers[container_id]
