"""Healthchecks: probes run in each running container that has one, as moby's health monitor runs them (an exec
every interval, killed at its timeout, the last five results kept, `unhealthy` after `retries` failures in a
row, failures in the start period not counted, a `health_status: <status>` event at each change).

One scheduler thread keeps every container's next probe time in a heap; probes run on a small pool, so a slow
probe delays nobody else's. A probe is an exec started by the shim zygote, like `docker exec`."""

import heapq
import itertools
import json
import logging
import os
import selectors
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from logdrivers.goparse import format_duration
from runtime.engine import clock
from runtime.engine.config import DaemonConfig
from runtime.engine.events import EventBus
from runtime.engine.execs import exec_request
from runtime.engine.healthsettings import NS, HealthSettings, health_settings
from runtime.engine.model import HEALTHY, RUNNING, STARTING, UNHEALTHY, Container, Health, HealthResult
from runtime.engine.shims import ExecChannels, ShimLauncher
from runtime.errors import EngineError

log = logging.getLogger("porthole.health")

MAX_OUTPUT = 4096  # moby's maxOutputLen: the first 4 KiB of a probe's output are kept
PROBE_WORKERS = 8
OUTPUT_GRACE_S = 2.0  # after a probe's timeout (and kill), how long its output may still take to close


class HealthMonitor:
    def __init__(
        self,
        config: DaemonConfig,
        shims: ShimLauncher,
        events: EventBus,
        save: Callable[[Container], None],
        lock_for: Callable[[Container], threading.RLock],
    ) -> None:
        """`save` writes a container's state; `lock_for` is the lock its transitions hold (Lifecycle.lock)."""
        self._config = config
        self._shims = shims
        self._events = events
        self._save = save
        self._lock_for = lock_for
        self._changed = threading.Condition()
        self._queue: list[tuple[float, int, str]] = []  # (due, turn, container id)
        self._watched: dict[str, tuple[Container, HealthSettings, int]] = {}  # id -> (container, settings, turn)
        self._turns = itertools.count(1)
        self._closed = False
        self._pool = ThreadPoolExecutor(PROBE_WORKERS, thread_name_prefix="health")
        self._scheduler = threading.Thread(target=self._schedule, name="health", daemon=True)
        self._scheduler.start()

    def watch(self, container: Container, fresh: bool = True) -> None:
        """Start probing a container that has just started (`fresh`: its health starts over, as in moby) or
        that a restarted daemon adopted (its health goes on)."""
        settings = health_settings(container.config.get("Healthcheck"), container.config.get("Shell"))
        if settings is None:
            return
        if fresh or container.state.health is None:
            container.state.health = Health()
            self._save(container)
        with self._changed:
            turn = next(self._turns)
            self._watched[container.id] = (container, settings, turn)
            self._push(time.monotonic() + _next_interval(container, settings), turn, container.id)

    def forget(self, container: Container) -> None:
        """No more probes (the container stopped); a probe running now is not recorded."""
        with self._changed:
            self._watched.pop(container.id, None)

    def _push(self, due: float, turn: int, container_id: str) -> None:
        heapq.heappush(self._queue, (due, turn, container_id))
        self._changed.notify()

    def _schedule(self) -> None:
        with self._changed:
            while not self._closed:
                if not self._queue:
                    self._changed.wait()
                    continue
                due, turn, container_id = self._queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                heapq.heappop(self._queue)
                watched = self._watched.get(container_id)
                if watched is None or watched[2] != turn:
                    continue  # forgotten, or watched anew since
                self._pool.submit(self._probe_and_record, *watched)

    def _probe_and_record(self, container: Container, settings: HealthSettings, turn: int) -> None:
        """One probe and its result; the next is scheduled whatever happened (a pool swallows exceptions)."""
        try:
            result = self._probe(container, settings) if container.state.status == RUNNING else None
            with self._lock_for(container):
                with self._changed:
                    current = self._watched.get(container.id)
                    if current is None or current[2] != turn:
                        return  # stopped (or restarted) while the probe ran: its result is not recorded
                if result is not None:  # a paused container is not probed, as in moby
                    self._record(container, settings, result)
        except Exception:  # noqa: BLE001 - a failed probe must not end the container's probes
            log.exception("health: probe of container %s", container.id)
        finally:
            with self._changed:
                if self._watched.get(container.id, (None, None, None))[2] == turn:
                    self._push(time.monotonic() + _next_interval(container, settings), turn, container.id)

    def _record(self, container: Container, settings: HealthSettings, result: HealthResult) -> None:
        """moby's handleProbeResult."""
        health = container.state.health or Health()
        before = health.status
        health.record(result)
        if result.exit_code == 0:
            health.failing_streak = 0
            health.status = HEALTHY
        elif not (health.status == STARTING and _in_start_period(container, settings, result.start)):
            health.failing_streak += 1
            if health.failing_streak >= settings.retries:
                health.status = UNHEALTHY
        container.state.health = health
        self._save(container)
        if health.status != before:
            attributes = {"image": container.image_ref, "name": container.name}
            self._events.publish("container", f"health_status: {health.status}", container.id, **attributes)

    def _probe(self, container: Container, settings: HealthSettings) -> HealthResult:
        """The probe's result; one that could not run at all is a failure (-1) that says why, as in moby."""
        started_ns = time.time_ns()
        try:
            request = exec_request(self._config, container, settings.command)
            channels = self._shims.start_exec({**request, "timeout": settings.timeout})
        except EngineError as e:
            return HealthResult(clock.rfc3339_nano(started_ns), clock.now(), -1, e.message)
        try:
            exit_code, output = _run(channels, settings.timeout)
        finally:
            channels.close()
        return HealthResult(clock.rfc3339_nano(started_ns), clock.now(), exit_code, output)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._scheduler.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)


def _next_interval(container: Container, settings: HealthSettings) -> float:
    """The start interval while a starting container is in its start period, else the interval (moby)."""
    health = container.state.health
    if health is not None and health.status == STARTING and _in_start_period(container, settings, clock.now()):
        return settings.start_interval
    return settings.interval


def _in_start_period(container: Container, settings: HealthSettings, at: str) -> bool:
    return clock.parse_rfc3339(at) - clock.parse_rfc3339(container.state.started_at) < settings.start_period


def _message(channels: ExecChannels) -> dict:
    data = channels.status.recv(65536)
    return json.loads(data) if data else {"error": "porthole: exec helper died"}


def _run(channels: ExecChannels, timeout: float) -> tuple[int, str]:
    """The probe's exit code and output; -1 and moby's texts if it could not start or ran past `timeout`
    (the exec helper kills it then)."""
    first = _message(channels)
    if "error" in first:
        return -1, first["error"]
    output = _read_output(channels, time.monotonic() + timeout + OUTPUT_GRACE_S).decode(errors="replace")
    end = _message(channels)
    if not end.get("timed_out"):
        return end.get("exit_code", -1), output
    limit = format_duration(int(timeout * NS))
    return (
        -1,
        f"Health check exceeded timeout ({limit}): {output}" if output else f"Health check exceeded timeout ({limit})",
    )


def _read_output(channels: ExecChannels, deadline: float) -> bytes:
    """stdout and stderr together until both close or the deadline (a child the probe left in the background
    may hold them); the first MAX_OUTPUT bytes."""
    output = bytearray()
    with selectors.DefaultSelector() as selector:
        for fd in (channels.stdout, channels.stderr):
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and (remaining := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(remaining):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                output += data[: MAX_OUTPUT - len(output)]
    return bytes(output)
