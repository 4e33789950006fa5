"""Healthchecks: probes run in each running container that has one, as moby's health monitor runs them (every
interval, killed at their timeout, the last five results kept, `unhealthy` after `retries` failures in a row,
failures in the start period not counted, a `health_status: <status>` event at each change, and each probe's
exec_create, exec_start and exec_die events, as moby's exec of it emits them).

Each such container gets a prober (runtime.shim.prober) that entered it once and spawns the probe at each tick;
one thread here keeps every container's next tick in a heap and reads the probers' results. A probe is then a
byte each way and a posix_spawn in the container, not a new exec (see the prober's docstring for the cost)."""

import heapq
import itertools
import logging
import os
import secrets
import selectors
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from common import rfc3339
from logdrivers.goparse import format_duration
from runtime.engine.config import DaemonConfig
from runtime.engine.events import EventBus
from runtime.engine.execs import exec_request, publish_exec_event
from runtime.engine.healthsettings import NS, HealthSettings, health_settings
from runtime.engine.model import HEALTHY, RUNNING, STARTING, UNHEALTHY, Container, Health, HealthResult
from runtime.engine.shims import ShimLauncher
from runtime.engine.store import HealthLogFile
from runtime.security import SecurityPolicy

log = logging.getLogger("porthole.health")


class HealthRecords(Protocol):
    """Where a container's health is written (runtime.engine.upkeep.Upkeep)."""

    def save_state(self, container: Container) -> None:
        """state.json, with the health status: at each change of status or failing streak."""

    def open_health_log(self, container: Container) -> HealthLogFile:
        """The health log file, held open while the container is probed."""

    def save_health(self, container: Container, health_log: HealthLogFile) -> None:
        """The health log alone, cheaply: after every probe."""


@dataclass
class _Watched:
    container: Container
    settings: HealthSettings
    health_log: HealthLogFile
    tick_w: int  # one byte: probe now; closed: the prober ends
    result_r: int
    unread: bytes = b""  # the start of a result line
    probing: bool = False  # a tick is out and its result not back
    due: float = field(default=0.0)  # of the next tick
    exec_id: str = ""  # of the probe out, for its events (moby runs each probe as an exec)
    started_at: float = 0.0  # the container's start, unix seconds (for the start period)


class HealthMonitor:
    def __init__(
        self,
        config: DaemonConfig,
        security: SecurityPolicy,
        shims: ShimLauncher,
        events: EventBus,
        records: HealthRecords,
        lock_for: Callable[[Container], threading.RLock],
    ) -> None:
        """`records` writes a container's state and health log; `lock_for` is the lock its transitions hold
        (Lifecycle.lock)."""
        self._config = config
        self._security = security
        self._shims = shims
        self._events = events
        self._records = records
        self._lock_for = lock_for
        self._lock = threading.Lock()
        self._watched: dict[str, _Watched] = {}
        self._queue: list[tuple[float, int, str]] = []  # (due, order, container id)
        self._order = itertools.count()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)
        self._thread.start()

    def watch(self, container: Container, fresh: bool = True) -> None:
        """Start probing a container that has just started (`fresh`: its health starts over, as in moby) or
        that a restarted daemon adopted (its health goes on)."""
        settings = health_settings(container.config.get("Healthcheck"), container.config.get("Shell"))
        if settings is None:
            return
        health_log = self._records.open_health_log(container)
        try:
            if fresh or container.state.health is None:
                container.state.health = Health()
                self._records.save_state(container)
                self._records.save_health(container, health_log)  # or a restart would read the last run's
            request = {
                **exec_request(self._config, self._security, container, settings.command),
                "timeout": settings.timeout,
            }
            tick_w, result_r = self._shims.start_prober(request)
        except BaseException:
            health_log.close()
            raise
        started_at = rfc3339.unix_seconds(container.state.started_at) or 0.0
        watched = _Watched(container, settings, health_log, tick_w, result_r, started_at=started_at)
        with self._lock:
            old = self._watched.pop(container.id, None)
            self._watched[container.id] = watched
            self._selector.register(result_r, selectors.EVENT_READ, container.id)
            self._schedule(watched, _next_interval(watched))
        if old is not None:
            self._close(old)
        self._wake()

    def forget(self, container: Container) -> None:
        """No more probes (the container stopped): its prober ends, a result it still sends is not recorded."""
        with self._lock:
            watched = self._watched.pop(container.id, None)
        if watched is not None:
            self._close(watched)

    def _close(self, watched: _Watched) -> None:
        with self._lock:  # under the lock that reads take: no read reaches a closed (and reused) fd number
            self._selector.unregister(watched.result_r)
            os.close(watched.tick_w)
            os.close(watched.result_r)
        with self._lock_for(watched.container):  # the lock its writes take, a late retry's too: it finds it closed
            watched.health_log.close()

    def _schedule(self, watched: _Watched, after: float) -> None:
        watched.due = time.monotonic() + after
        heapq.heappush(self._queue, (watched.due, next(self._order), watched.container.id))

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"w")
        except BlockingIOError:
            return  # a wake-up is pending already

    # -- the one thread ---------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed:
            for key, _ in self._selector.select(self._tick_due()):
                if key.fd == self._wake_r:
                    _drain(self._wake_r)
                else:
                    self._read_results(key.data)

    def _tick_due(self) -> float | None:
        """Tick every prober that is due; the seconds until the next one is (None: nothing scheduled)."""
        ticked: list[_Watched] = []
        try:
            return self._tick(ticked)
        finally:
            for watched in ticked:  # published outside the lock that every read takes
                for action in ("exec_create", "exec_start"):
                    self._exec_event(watched, action)

    def _tick(self, ticked: list[_Watched]) -> float | None:
        now = time.monotonic()
        with self._lock:
            while self._queue and self._queue[0][0] <= now:
                due, _, container_id = heapq.heappop(self._queue)
                watched = self._watched.get(container_id)
                if watched is None or watched.due != due or watched.probing:
                    continue  # forgotten, or rescheduled since
                if watched.container.state.status != RUNNING:
                    self._schedule(watched, watched.settings.interval)  # paused: not probed, as in moby
                    continue
                try:
                    os.write(watched.tick_w, b"p")
                    watched.probing = True
                    watched.exec_id = secrets.token_hex(32)
                    ticked.append(watched)
                except BrokenPipeError:
                    log.warning("health: the prober of container %s is gone", container_id)
            return max(self._queue[0][0] - now, 0.0) if self._queue else None

    def _read_results(self, container_id: str) -> None:
        with self._lock:
            watched = self._watched.get(container_id)
            if watched is None:
                return
            data = os.read(watched.result_r, 65536)
        if not data:
            log.warning("health: the prober of container %s ended", container_id)
            self.forget(watched.container)
            return
        *lines, watched.unread = (watched.unread + data).split(b"\n")
        for line in lines:
            message = orjson.loads(line)
            self._exec_event(watched, "exec_die", exitCode=str(message["exit_code"]))
            self._record(watched, _result_of(message, watched.settings.timeout))
            with self._lock:
                watched.probing = False
        with self._lock:
            if self._watched.get(container_id) is watched and not watched.probing and watched.due <= time.monotonic():
                self._schedule(watched, _next_interval(watched))

    def _exec_event(self, watched: _Watched, action: str, **extra: str) -> None:
        publish_exec_event(self._events, watched.container, watched.exec_id, action, watched.settings.command, **extra)

    def _record(self, watched: _Watched, result: HealthResult) -> None:
        """moby's handleProbeResult; the state is written when the status or the failing streak changes, the
        health log after every result."""
        container, settings = watched.container, watched.settings
        with self._lock_for(container):
            if self._watched.get(container.id) is not watched:
                return  # stopped (or restarted) while the probe ran: its result is not recorded
            health = container.state.health or Health()
            before = (health.status, health.failing_streak)
            health.record(result)
            if result.exit_code == 0:
                health.failing_streak = 0
                health.status = HEALTHY
            elif not (health.status == STARTING and _in_start_period(watched, result.start_ns)):
                health.failing_streak += 1
                if health.failing_streak >= settings.retries:
                    health.status = UNHEALTHY
            container.state.health = health
            if (health.status, health.failing_streak) != before:
                self._records.save_state(container)
            # every result, so that a daemon restart keeps the log
            self._records.save_health(container, watched.health_log)
            if health.status != before[0]:
                attributes = {"image": container.image_ref, "name": container.name}
                self._events.publish("container", f"health_status: {health.status}", container.id, **attributes)

    def close(self) -> None:
        """Stop probing; the probers end with their tick pipes."""
        self._closed = True
        self._wake()
        self._thread.join(5)
        with self._lock:
            watched = list(self._watched.values())
            self._watched.clear()
        for w in watched:
            self._close(w)
        self._selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            continue
    except BlockingIOError:
        return


def _result_of(message: dict, timeout: float) -> HealthResult:
    """A prober's answer as inspect shows it, with moby's text for a probe that ran past its timeout."""
    output = message["output"]
    if message["timed_out"]:
        limit = format_duration(int(timeout * NS))
        output = f"Health check exceeded timeout ({limit})" + (f": {output}" if output else "")
    exit_code = -1 if message["timed_out"] else message["exit_code"]
    return HealthResult(message["start_ns"], message["end_ns"], exit_code, output)


def _next_interval(watched: _Watched) -> float:
    """The start interval while a starting container is in its start period, else the interval (moby)."""
    health = watched.container.state.health
    if health is not None and health.status == STARTING and _in_start_period(watched, time.time_ns()):
        return watched.settings.start_interval
    return watched.settings.interval


def _in_start_period(watched: _Watched, at_ns: int) -> bool:
    return at_ns / NS - watched.started_at < watched.settings.start_period
