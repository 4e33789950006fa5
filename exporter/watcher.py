"""The one watcher of an engine's containers in a process, over the Engine API, so the exporter, the
dashboard and the map work against porthole and Docker alike: every container as a record (running or not),
each running one's cgroup as the exporter's target, and the events each went through.

A refresh lists the containers and inspects only the new ones, those whose listed state changed, those an
event or a reader marked, and the running ones whose process is no longer the one inspected: scrapes, pages
and reports never wait for the engine. An inspection is parsed once into the record and, for a running
container, its target (State.Pid leads to the cgroup through /proc/<pid>/cgroup; the limits are read there
once). Refreshes follow the events stream, with a periodic one as a safety net: often while the stream is
down, rarely while it is up. The stream is opened with a backlog, so a container's page shows what happened
to it shortly before the watcher started.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from common.throttle import LogThrottle
from exporter.container_events import ContainerEvent, EventLog, changes_container, event_from_json
from exporter.engine_api import ENGINE_ERRORS, ContainerApi
from exporter.readers.cgroup import cgroup_name, read_cgroup, v1_mount_dirs
from exporter.readers.paths import CGROUP_ROOT, PROC_ROOT, cgroup_paths_from_text
from exporter.records import ContainerRecord, networks_of, ports_of, record_from_inspect
from exporter.targets import Target

log = logging.getLogger("porthole.exporter")

# A burst of events (a `docker compose up`) costs one refresh per this many seconds.
_COALESCE_SECONDS = 0.05
# While the events stream is up it reports every change; the periodic refresh is then only a safety net.
SAFETY_NET_SECONDS = 60.0
EVENTS_BACKLOG_SECONDS = 3600.0
# The backlog's events older than the first listing (by this much, for the engine's clock against ours)
# are kept for the pages, but inspect nothing again: that listing saw what they did.
_CLOCK_SKEW_SECONDS = 5.0

ErrorSink = Callable[[str, str], None]  # (stage, message): list, inspect, events, cgroup, spec


def log_once_a_minute() -> ErrorSink:
    """The sink of a watcher whose failures no metric counts (the dashboard's): a line per stage a minute."""
    throttle = LogThrottle()

    def sink(stage: str, message: str) -> None:
        if throttle.due(stage):
            log.warning("%s (further failures of this kind are logged at most once a minute)", message)

    return sink


@dataclass(frozen=True, slots=True)
class _Watched:
    record: ContainerRecord
    target: Target | None  # None unless live and its cgroup was found
    cgroup: bytes = b""  # the target's /proc/<pid>/cgroup as read at the inspection
    listed: tuple[Any, Any] = (None, None)  # the list's NetworkSettings and Ports the record's were parsed from


class ContainerWatcher:
    """Every container of one Engine API endpoint. `component` names who reports the failures
    ("exporter", "web", "porthole daemon")."""

    def __init__(
        self,
        api: ContainerApi,
        *,
        component: str,
        on_error: ErrorSink | None = None,
        refresh_seconds: float = 5.0,
        events_kept: int = 100,
        cgroup_root: Path = CGROUP_ROOT,
        proc_root: Path = PROC_ROOT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = api
        self._component = component
        self._on_error = on_error if on_error is not None else log_once_a_minute()
        self._refresh_seconds = refresh_seconds
        self._cgroup_root = cgroup_root
        self._proc_root = proc_root
        self._clock = clock
        self._mounts = v1_mount_dirs(cgroup_root)
        self._by_id: dict[str, _Watched] = {}
        self._records: tuple[ContainerRecord, ...] = ()
        self._targets: tuple[Target, ...] = ()
        self._events = EventLog(events_kept)
        self._marked: set[str] = set()  # to inspect at the next refresh
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._stream_up = threading.Event()
        self._stream: Any = None
        self._threads: list[threading.Thread] = []
        self._listed_from = float("-inf")  # events before this time (unix seconds) changed nothing unseen
        self.error: str | None = None  # why the last listing failed; None when it worked

    # -- reading ------------------------------------------------------------------------------------------
    def records(self) -> tuple[ContainerRecord, ...]:
        """Every container, sorted by name; the same tuple until something changes. No I/O."""
        return self._records

    def targets(self) -> tuple[Target, ...]:
        """The live containers whose cgroup was found, sorted by name; the same tuple until something changes."""
        return self._targets

    def get(self, ref: str) -> ContainerRecord | None:
        """By full id, unique id prefix, or name."""
        records = self._records
        for record in records:
            if record.id == ref or record.name == ref:
                return record
        matches = [r for r in records if r.id.startswith(ref)] if ref else []
        return matches[0] if len(matches) == 1 else None

    def events_of(self, container_id: str) -> list[ContainerEvent]:
        return self._events.of(container_id)

    def stale(self, container_id: str | None = None) -> None:
        """Something changed that the events did not tell (a process or a group gone): refresh soon, and
        inspect `container_id` again."""
        if container_id is not None:
            with self._lock:
                self._marked.add(container_id)
        self._wake.set()

    # -- one refresh --------------------------------------------------------------------------------------
    def refresh(self, *, check_processes: bool = True) -> None:
        """check_processes=False: the caller finds gone processes itself and says so with stale() (the map's
        probe looks up each container's namespaces), sparing a read of /proc/<pid>/cgroup per container."""
        with self._refresh_lock:
            self._refresh(check_processes)

    def _refresh(self, check_processes: bool) -> None:
        try:
            summaries = self._api.containers(all=True)
        except ENGINE_ERRORS as e:
            self.error = f"{self._component}: cannot list the containers of the engine: {e}"
            self._on_error("list", self.error)
            return
        with self._lock:
            marked, self._marked = self._marked, set()
        found: dict[str, _Watched] = {}
        for summary in summaries:
            container_id = summary["Id"]
            known = self._by_id.get(container_id)
            watched = known
            if known is None or container_id in marked or self._changed(known, summary.get("State"), check_processes):
                watched = self._inspect(container_id, known)
            if watched is not None:
                found[container_id] = self._with_listing(watched, summary)
        self._by_id = found
        self._publish(found)
        self._events.keep_only(set(found))
        self.error = None

    def _changed(self, known: _Watched, listed_state: str | None, check_processes: bool) -> bool:
        """Its state changed, or it runs a process other than the one inspected (a restart the events did
        not tell), or its process was gone when it was inspected."""
        if listed_state != known.record.state:
            return True
        if not known.record.live or not check_processes:
            return False
        try:  # one small read: the same file as at the inspection means the same process in the same group
            return known.target is None or self._process_cgroup(known.target.pid) != known.cgroup
        except OSError:
            return True

    def _publish(self, found: dict[str, _Watched]) -> None:
        """New tuples only when something changed: the exporter and the pages keep what they built from them."""
        records = tuple(sorted((w.record for w in found.values()), key=lambda r: (r.name, r.id)))
        if _differ(records, self._records):
            self._records = records
        targets = tuple(sorted((w.target for w in found.values() if w.target), key=lambda t: (t.name, t.id)))
        if _differ(targets, self._targets):
            self._targets = targets

    @staticmethod
    def _with_listing(watched: _Watched, summary: dict[str, Any]) -> _Watched:
        listed = ((summary.get("NetworkSettings") or {}).get("Networks"), summary.get("Ports"))
        if listed == watched.listed:
            return watched
        record = dataclasses.replace(watched.record, networks=networks_of(summary), ports=ports_of(summary))
        return dataclasses.replace(watched, record=record, listed=listed)

    def _inspect(self, container_id: str, known: _Watched | None) -> _Watched | None:
        try:
            record = record_from_inspect(self._api.inspect_container(container_id))
        except docker.errors.NotFound:
            return None  # removed since the listing
        except ENGINE_ERRORS as e:
            self._on_error("inspect", f"{self._component}: cannot inspect container {container_id[:12]}: {e}")
            with self._lock:
                self._marked.add(container_id)  # again at the next refresh
            return known
        if not record.live:
            return _Watched(record, None)
        try:
            cgroup = self._process_cgroup(record.pid)
        except FileNotFoundError:
            return _Watched(record, None)  # exited since the inspection: inspected again at the next refresh
        except OSError as e:
            self._on_error("cgroup", f"{self._component}: cannot find the cgroup of container {record.short_id}: {e}")
            return _Watched(record, None)
        return _Watched(record, self._target_of(record, cgroup), cgroup)

    def _process_cgroup(self, pid: int) -> bytes:
        """/proc/<pid>/cgroup; raises OSError (FileNotFoundError when the process is gone)."""
        fd = os.open(f"{self._proc_root}/{pid}/cgroup", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return os.read(fd, 65536)
        finally:
            os.close(fd)

    def _target_of(self, record: ContainerRecord, cgroup: bytes) -> Target:
        paths = cgroup_paths_from_text(cgroup.decode(), cgroup_root=self._cgroup_root, mounts=self._mounts)
        stats, errors = read_cgroup(paths)
        for error in errors:
            self._on_error("spec", error.message)
        return Target(
            id=cgroup_name(paths, self._cgroup_root, self._mounts),
            paths=paths,
            pid=record.pid,
            name=record.name,
            image=record.image,
            labels=record.labels,
            started_at=record.started_at or record.created,
            created_at=record.created,
            upper_dir=record.upper_dir,
            spec=stats.spec,
            container_id=record.id,
            health=record.health,
        )

    # -- events -------------------------------------------------------------------------------------------
    def record_event(self, event: dict) -> None:
        parsed = event_from_json(event)
        if parsed is None:
            return
        container_id, container_event = parsed
        self._events.add(container_id, container_event)
        if container_event.time and container_event.time < self._listed_from:
            return
        if changes_container(container_event):
            with self._lock:
                self._marked.add(container_id)
            self._wake.set()

    # -- background ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Refresh once, then follow the events and refresh in the background until close()."""
        self._listed_from = self._clock() - _CLOCK_SKEW_SECONDS
        self.refresh()
        for name, run in (("watcher-events", self._follow_events), ("watcher-refresh", self._refresh_loop)):
            thread = threading.Thread(target=run, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        stream = self._stream
        if stream is not None:
            stream.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _refresh_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(SAFETY_NET_SECONDS if self._stream_up.is_set() else self._refresh_seconds)
            if self._stop.wait(_COALESCE_SECONDS):
                return
            self._wake.clear()
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a bug here must not end the refreshes for good
                log.exception("%s: refreshing the containers failed", self._component)

    def _follow_events(self) -> None:
        since = self._clock() - EVENTS_BACKLOG_SECONDS
        last_ns = 0
        while not self._stop.is_set():
            try:
                self._stream = stream = self._api.events(decode=True, filters={"type": ["container"]}, since=since)
                self._stream_up.set()
                self._wake.set()  # changes made while the stream was down: a refresh finds them
                for event in stream:
                    time_ns = event.get("timeNano") or 0
                    if time_ns and time_ns <= last_ns:
                        continue  # already seen before a reconnection (since is inclusive)
                    last_ns = max(last_ns, time_ns)
                    self.record_event(event)
            except Exception as e:  # noqa: BLE001 - whatever ends the stream (engine gone, socket closed): reconnect
                if not self._stop.is_set():
                    self._on_error("events", f"{self._component}: the events stream failed: {e}")
            self._stream_up.clear()
            self._stream = None
            if last_ns:
                since = last_ns / 1e9
            self._stop.wait(self._refresh_seconds)


def _differ(new: tuple, old: tuple) -> bool:
    return len(new) != len(old) or any(a is not b for a, b in zip(new, old, strict=True))
