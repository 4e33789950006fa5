"""Once a tick (1 s), each live container's cgroup and network counters and the host's, into the history:
the one reading of them in the web process, which the dashboard's charts and the map's CPU and memory both
show (web.topology.usage).

Counters come only from the exporter's readers (read_cgroup, read_net_dev, read_host), so the dashboard
shows the same numbers as the exporter and the daemon's stats endpoint. A container is read through the
target the watcher made when it inspected it: when it restarts, the watcher inspects it again and the next
tick follows its new process (and cgroup) into the same history, the `pid` column telling the two lives apart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

from exporter.readers.cgroup import cgroup_layout, read_cgroup, read_root_cgroup, root_cgroup_paths, v1_mount_dirs
from exporter.readers.paths import CGROUP_ROOT, PROC_ROOT
from exporter.readers.procfs import read_host, read_net_dev
from exporter.readers.samples import CgroupPaths, HostStats
from exporter.targets import Target
from exporter.watcher import ContainerWatcher
from web.columns import cgroup_columns, host_columns, network_columns
from web.history import HistoryStore
from web.read_errors import ReadErrorTally

log = logging.getLogger("porthole.web")

HOST_KEY = "/"  # the host's history, under cAdvisor's id for the root cgroup (never a container id)


class Sampler:
    """Samples the watcher's targets (none without a watcher: a probe of the host alone) and the host.
    `controllers`: for a process that shows only the CPU and memory (a probe of its own), the cgroup
    controllers to read ("" is v2's one directory), and no network counters; None reads everything."""

    def __init__(
        self,
        watcher: ContainerWatcher | None,
        history: HistoryStore,
        *,
        interval: float = 1.0,
        cgroup_root: Path = CGROUP_ROOT,
        proc_root: Path = PROC_ROOT,
        clock: Callable[[], float] = time.time,
        controllers: Collection[str] | None = None,
    ) -> None:
        self.interval = interval
        self.history = history
        self._watcher = watcher
        self._proc_root = proc_root
        self._clock = clock
        self._controllers = controllers
        mounts = None if cgroup_layout(cgroup_root) == "unified" else v1_mount_dirs(cgroup_root)
        self._root_paths = root_cgroup_paths(cgroup_root, mounts)
        self.host: HostStats = read_host(proc_root)[0]  # cores, memory and swap totals: fixed while we run
        self.read_errors = ReadErrorTally(log)
        self.last_duration = 0.0  # seconds the last tick took
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample_once(self) -> None:
        started = time.monotonic()
        keep = {HOST_KEY}
        if self._watcher is not None:
            for target in self._watcher.targets():
                self._sample_container(target)
            keep.update(r.id for r in self._watcher.records())
        self._sample_host()
        self.history.forget(keep)
        self.last_duration = time.monotonic() - started

    def _sample_container(self, target: Target) -> None:
        t = self._clock()
        if self._controllers is None:
            stats, errors = read_cgroup(target.paths, include_spec=False)
            interfaces, net_errors = read_net_dev(target.pid, self._proc_root)
            if net_errors and not interfaces:
                # the process is gone: what was read may belong to a cgroup being torn down
                self._watcher.stale(target.container_id)  # type: ignore[union-attr]  # only targets of a watcher
                return
        else:
            dirs = {k: d for k, d in target.paths.dirs.items() if k in self._controllers}
            stats, errors = read_cgroup(CgroupPaths(target.paths.mode, dirs), include_spec=False)
            interfaces, net_errors = {}, []
        self.read_errors.add(errors + net_errors)
        row = cgroup_columns(stats)
        row.update(network_columns(interfaces))
        row["pid"] = target.pid
        self.history.append(target.container_id, t, row)

    def _sample_host(self) -> None:
        t = self._clock()
        stats, errors = read_root_cgroup(self._root_paths)
        host, host_errors = read_host(self._proc_root)
        interfaces, net_errors = read_net_dev(1, self._proc_root) if self._controllers is None else ({}, [])
        self.read_errors.add(errors + host_errors + net_errors)
        row = cgroup_columns(stats)
        row.update(host_columns(host))
        row.update(network_columns(interfaces))
        row["pid"] = 1
        self.history.append(HOST_KEY, t, row)

    # -- background ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="web-sampler", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        # the first tick one interval after start: start() callers sample once themselves (web.state)
        next_tick = time.monotonic() + self.interval
        while not self._stop.wait(max(next_tick - time.monotonic(), 0)):
            try:
                self.sample_once()
            except Exception:  # noqa: BLE001 - a bug in one tick must not end the history for good
                log.exception("web: sampling failed")
            next_tick += self.interval
            now = time.monotonic()
            if next_tick < now:  # fell behind (a slow tick): skip the missed ticks instead of bursting
                next_tick = now + self.interval - (now - next_tick) % self.interval
