"""Every container of the engine, running or not, as records, and the events each went through.

A refresh lists the containers and inspects only the new ones and those whose state changed or that an
event (or the sampler, finding a process gone) marked: pages never wait for the engine. Refreshes follow
the events stream, with a periodic one as a safety net. The stream is opened with a backlog, so a
container's page shows what happened to it shortly before the dashboard started too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import docker

from web.engine import ENGINE_ERRORS, EngineApi
from web.records import ContainerEvent, ContainerRecord, event_from_json, record_from_inspect

log = logging.getLogger("porthole.web")

# Events after which a container must be inspected again (new state, pid, restart count, name).
_REINSPECT = frozenset(
    {"create", "start", "restart", "die", "oom", "stop", "kill", "pause", "unpause", "rename", "update", "destroy"}
    | {"health_status"}  # "health_status: healthy", matched without what follows the colon
)
_COALESCE_SECONDS = 0.05  # a burst of events (compose up) costs one refresh
EVENTS_BACKLOG_SECONDS = 3600.0


class Inventory:
    def __init__(
        self,
        api: EngineApi,
        *,
        refresh_seconds: float = 5.0,
        events_kept: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = api
        self._refresh_seconds = refresh_seconds
        self._events_kept = events_kept
        self._clock = clock
        self._by_id: dict[str, ContainerRecord] = {}
        self._records: tuple[ContainerRecord, ...] = ()
        self._events: dict[str, deque[ContainerEvent]] = {}
        self._marked: set[str] = set()  # to inspect at the next refresh
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._stream: object | None = None
        self._threads: list[threading.Thread] = []
        self.error: str | None = None  # why the last listing failed; None when it worked
        self.refreshed_at: float | None = None

    # -- reading ------------------------------------------------------------------------------------------
    def records(self) -> tuple[ContainerRecord, ...]:
        """Every container, sorted by name; the same tuple until something changes."""
        return self._records

    def get(self, ref: str) -> ContainerRecord | None:
        """By full id, unique id prefix, or name."""
        records = self._records
        for record in records:
            if record.id == ref or record.name == ref:
                return record
        matches = [r for r in records if r.id.startswith(ref)] if ref else []
        return matches[0] if len(matches) == 1 else None

    def events_of(self, container_id: str) -> list[ContainerEvent]:
        with self._lock:
            return list(self._events.get(container_id, ()))

    def stale(self, container_id: str) -> None:
        """Something changed that the events did not tell (a process gone): inspect it again soon."""
        with self._lock:
            self._marked.add(container_id)
        self._wake.set()

    # -- one refresh --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        with self._refresh_lock:
            self._refresh()

    def _refresh(self) -> None:
        try:
            summaries = self._api.containers(all=True)
        except ENGINE_ERRORS as e:
            self.error = f"web: cannot list the containers of the engine: {e}"
            log.warning("%s", self.error)
            return
        with self._lock:
            marked, self._marked = self._marked, set()
        found: dict[str, ContainerRecord] = {}
        for summary in summaries:
            container_id = summary["Id"]
            known = self._by_id.get(container_id)
            if known is not None and container_id not in marked and known.state == summary.get("State"):
                found[container_id] = known
                continue
            record = self._inspect(container_id, known)
            if record is not None:
                found[container_id] = record
        self._by_id = found
        records = tuple(sorted(found.values(), key=lambda r: (r.name, r.id)))
        if len(records) != len(self._records) or any(a is not b for a, b in zip(records, self._records, strict=True)):
            self._records = records
        with self._lock:
            for gone in [cid for cid in self._events if cid not in found]:
                del self._events[gone]
        self.error = None
        self.refreshed_at = self._clock()

    def _inspect(self, container_id: str, known: ContainerRecord | None) -> ContainerRecord | None:
        try:
            return record_from_inspect(self._api.inspect_container(container_id))
        except docker.errors.NotFound:
            return None  # removed since the listing
        except ENGINE_ERRORS as e:
            log.warning("web: cannot inspect container %s: %s", container_id[:12], e)
            self.stale(container_id)
            return known

    # -- events -------------------------------------------------------------------------------------------
    def record_event(self, event: dict) -> None:
        parsed = event_from_json(event)
        if parsed is None:
            return
        container_id, container_event = parsed
        with self._lock:
            kept = self._events.get(container_id)
            if kept is None:
                kept = self._events[container_id] = deque(maxlen=self._events_kept)
            kept.append(container_event)
            if container_event.action.partition(":")[0] in _REINSPECT:
                self._marked.add(container_id)
                self._wake.set()

    # -- background ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh()
        for name, run in (("web-events", self._follow_events), ("web-inventory", self._refresh_loop)):
            thread = threading.Thread(target=run, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        stream = self._stream
        if stream is not None:
            stream.close()  # type: ignore[attr-defined]
        for thread in self._threads:
            thread.join(timeout=5)

    def _refresh_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._refresh_seconds)
            if self._stop.wait(_COALESCE_SECONDS):
                return
            self._wake.clear()
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a bug here must not end the refreshes for good
                log.exception("web: refreshing the container list failed")

    def _follow_events(self) -> None:
        since = self._clock() - EVENTS_BACKLOG_SECONDS
        last_ns = 0
        while not self._stop.is_set():
            try:
                self._stream = stream = self._api.events(decode=True, filters={"type": ["container"]}, since=since)
                self._wake.set()  # changes made while the stream was down: a refresh finds them
                for event in stream:
                    time_ns = event.get("timeNano") or 0
                    if time_ns and time_ns <= last_ns:
                        continue  # already seen before a reconnection (since is inclusive)
                    last_ns = max(last_ns, time_ns)
                    self.record_event(event)
            except Exception as e:  # noqa: BLE001 - whatever ends the stream (engine gone, socket closed): reconnect
                if not self._stop.is_set():
                    log.warning("web: the events stream failed: %s", e)
            self._stream = None
            if last_ns:
                since = last_ns / 1e9
            self._stop.wait(self._refresh_seconds)
