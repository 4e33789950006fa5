"""Finding containers over the Docker Engine API (docker-py), so the exporter works against porthole and
Docker alike: each running container's State.Pid leads to its cgroup through /proc/<pid>/cgroup.

A refresh lists the running containers and inspects only those it has not seen (or that events say have
changed): a scrape never waits for the API. Refreshes follow the events stream, with a periodic one as a
safety net (often while the stream is down, rarely while it is up).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import requests

from common.rfc3339 import unix_seconds
from exporter.readers.cgroup import cgroup_name, cgroup_paths_of_pid, read_cgroup, v1_mount_dirs
from exporter.readers.paths import CGROUP_ROOT, PROC_ROOT
from exporter.readers.samples import CgroupPaths
from exporter.targets import Target

log = logging.getLogger("porthole.exporter")

# Actions after which the running set, a pid, a name or a limit may differ.
_CHANGES = frozenset({"start", "restart", "die", "destroy", "update", "rename", "pause", "unpause", "health_status"})
# Actions after which a container must be inspected again (new pid, new name, new limits, a new health state).
_REINSPECT = frozenset({"start", "restart", "update", "rename", "health_status"})
# A burst of events (a `docker compose up`) costs one refresh per this many seconds.
_COALESCE_SECONDS = 0.1
# While the events stream is up it reports every change; the periodic refresh is then only a safety net.
_SAFETY_NET_SECONDS = 60.0

_API_ERRORS = (docker.errors.DockerException, requests.RequestException)

ErrorSink = Callable[[str, str], None]  # (stage, message): counted and logged by the exporter


class EngineDiscovery:
    """The running (and paused) containers of one Engine API endpoint, as Targets."""

    def __init__(
        self,
        client: docker.DockerClient,
        on_error: ErrorSink,
        *,
        refresh_seconds: float = 5.0,
        cgroup_root: Path = CGROUP_ROOT,
        proc_root: Path = PROC_ROOT,
    ) -> None:
        self._client = client
        self._on_error = on_error
        self._refresh_seconds = refresh_seconds
        self._cgroup_root = cgroup_root
        self._proc_root = proc_root
        self._mounts = v1_mount_dirs(cgroup_root)
        self._by_id: dict[str, Target] = {}
        self._targets: tuple[Target, ...] = ()
        self._reinspect: set[str] = set()  # filled by the events thread, emptied by refresh()
        self._reinspect_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._stream_up = threading.Event()
        self._stream: Any = None
        self._threads: list[threading.Thread] = []

    def targets(self) -> tuple[Target, ...]:
        return self._targets

    def stale(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.refresh()
        for name, run in (("exporter-events", self._follow_events), ("exporter-discovery", self._refresh_loop)):
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

    # -- one refresh --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """List the running containers; inspect the new and the changed ones; keep the rest as they were."""
        try:
            listed = self._client.api.containers()
        except _API_ERRORS as e:
            self._on_error("list", f"exporter: cannot list containers: {e}")
            return
        with self._reinspect_lock:
            reinspect, self._reinspect = self._reinspect, set()
        found: dict[str, Target] = {}
        for summary in listed:
            container_id = summary["Id"]
            known = self._by_id.get(container_id)
            if known is not None and container_id not in reinspect and self._same_process(known):
                found[container_id] = known
                continue
            target = self._inspect(container_id)
            if target is not None:
                found[container_id] = target
        self._by_id = found
        targets = tuple(sorted(found.values(), key=lambda t: (t.name, t.id)))
        if len(targets) != len(self._targets) or any(a is not b for a, b in zip(targets, self._targets, strict=True)):
            self._targets = targets

    def _same_process(self, target: Target) -> bool:
        """The container still runs the process we found (a restart missed by the events gives a new pid)."""
        try:
            return self._paths_of(target.pid) == target.paths
        except OSError:
            return False

    def _paths_of(self, pid: int) -> CgroupPaths:
        return cgroup_paths_of_pid(pid, proc_root=self._proc_root, cgroup_root=self._cgroup_root, mounts=self._mounts)

    def _inspect(self, container_id: str) -> Target | None:
        try:
            info = self._client.api.inspect_container(container_id)
        except docker.errors.NotFound:
            return None  # removed since the listing
        except _API_ERRORS as e:
            self._on_error("inspect", f"exporter: cannot inspect container {container_id[:12]}: {e}")
            return None
        pid = info["State"].get("Pid") or 0
        if not pid:
            return None  # restarting, or exited since the listing
        try:
            paths = self._paths_of(pid)
        except FileNotFoundError:
            return None  # exited since the inspection
        except OSError as e:
            self._on_error("cgroup", f"exporter: cannot find the cgroup of container {container_id[:12]}: {e}")
            return None
        stats, errors = read_cgroup(paths)
        for error in errors:
            self._on_error("spec", error.message)
        config = info.get("Config") or {}
        return Target(
            id=cgroup_name(paths, self._cgroup_root, self._mounts),
            paths=paths,
            pid=pid,
            name=info.get("Name", "").lstrip("/"),
            image=config.get("Image") or "",
            labels=dict(config.get("Labels") or {}),
            started_at=unix_seconds(info["State"].get("StartedAt")) or unix_seconds(info.get("Created")),
            created_at=unix_seconds(info.get("Created")),
            upper_dir=((info.get("GraphDriver") or {}).get("Data") or {}).get("UpperDir"),
            spec=stats.spec,
            health=(info["State"].get("Health") or {}).get("Status"),
        )

    # -- background ---------------------------------------------------------------------------------------
    def _refresh_loop(self) -> None:
        while not self._stop.is_set():
            interval = _SAFETY_NET_SECONDS if self._stream_up.is_set() else self._refresh_seconds
            self._wake.wait(interval)
            if self._stop.wait(_COALESCE_SECONDS):
                return
            self._wake.clear()
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a bug here must not end discovery for good
                log.exception("exporter: discovery failed")

    def _follow_events(self) -> None:
        while not self._stop.is_set():
            try:
                self._stream = self._client.events(decode=True, filters={"type": ["container"]})
                self._stream_up.set()
                self._wake.set()  # changes made while the stream was down: a refresh finds them
                for event in self._stream:
                    self._on_event(event)
            except Exception as e:  # noqa: BLE001 - any failure of the stream means: refresh by the clock
                if not self._stop.is_set():
                    self._on_error("events", f"exporter: the events stream failed: {e}")
            self._stream_up.clear()
            self._stream = None
            self._stop.wait(self._refresh_seconds)

    def _on_event(self, event: dict) -> None:
        action = (event.get("Action") or event.get("status") or "").partition(":")[0]  # "health_status: healthy"
        if action not in _CHANGES:
            return
        if action in _REINSPECT:
            with self._reinspect_lock:
                self._reinspect.add(event.get("id") or (event.get("Actor") or {}).get("ID", ""))
        self._wake.set()
