"""Once a tick (1 s), each live container's cgroup and network counters and the host's, into the history.

Counters come only from the exporter's readers (read_cgroup, read_net_dev, read_host), so the dashboard
shows the same numbers as the exporter and the daemon's stats endpoint. A container is found through the
pid the inventory inspected: when it restarts, the inventory inspects it again and the next tick follows
its new process (and cgroup) into the same history, the `pid` column telling the two lives apart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from common.throttle import LogThrottle
from exporter.readers.cgroup import (
    cgroup_layout,
    cgroup_paths_of_pid,
    read_cgroup,
    read_root_cgroup,
    root_cgroup_paths,
    v1_mount_dirs,
)
from exporter.readers.paths import CGROUP_ROOT, PROC_ROOT
from exporter.readers.procfs import read_host, read_net_dev
from exporter.readers.samples import CgroupPaths, HostStats, ReadError
from web.columns import cgroup_columns, host_columns, network_columns
from web.history import HistoryStore
from web.inventory import Inventory
from web.records import ContainerRecord

log = logging.getLogger("porthole.web")

HOST_KEY = "/"  # the host's history, under cAdvisor's id for the root cgroup (never a container id)


class Sampler:
    def __init__(
        self,
        inventory: Inventory,
        history: HistoryStore,
        *,
        interval: float = 1.0,
        cgroup_root: Path = CGROUP_ROOT,
        proc_root: Path = PROC_ROOT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval = interval
        self._inventory = inventory
        self._history = history
        self._cgroup_root = cgroup_root
        self._proc_root = proc_root
        self._clock = clock
        self._mounts = None if cgroup_layout(cgroup_root) == "unified" else v1_mount_dirs(cgroup_root)
        self._root_paths = root_cgroup_paths(cgroup_root, self._mounts)
        self._paths_by_pid: dict[int, CgroupPaths] = {}
        self.host: HostStats = read_host(proc_root)[0]  # cores, memory and swap totals: fixed while we run
        self.read_errors = 0  # files that could not be read, since start
        self.last_error: str | None = None
        self.last_duration = 0.0  # seconds the last tick took
        self._log_throttle = LogThrottle()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample_once(self) -> None:
        started = time.monotonic()
        records = self._inventory.records()
        used: dict[int, CgroupPaths] = {}
        for record in records:
            if record.live:
                paths = self._sample_container(record)
                if paths is not None:
                    used[record.pid] = paths
        self._paths_by_pid = used
        self._sample_host()
        self._history.forget({r.id for r in records} | {HOST_KEY})
        self.last_duration = time.monotonic() - started

    def _sample_container(self, record: ContainerRecord) -> CgroupPaths | None:
        paths = self._paths_by_pid.get(record.pid)
        if paths is None:
            try:
                paths = cgroup_paths_of_pid(
                    record.pid, proc_root=self._proc_root, cgroup_root=self._cgroup_root, mounts=self._mounts
                )
            except FileNotFoundError:
                self._inventory.stale(record.id)  # exited (or restarted) since it was inspected
                return None
            except OSError as e:
                self._count([ReadError(self._proc_root / str(record.pid) / "cgroup", e.strerror or str(e))])
                return None
        t = self._clock()
        stats, errors = read_cgroup(paths, include_spec=False)
        interfaces, net_errors = read_net_dev(record.pid, self._proc_root)
        if net_errors and not interfaces:
            # the process is gone: what was read may belong to a cgroup being torn down
            self._inventory.stale(record.id)
            return None
        self._count(errors + net_errors)
        row = cgroup_columns(stats)
        row.update(network_columns(interfaces))
        row["pid"] = record.pid
        self._history.append(record.id, t, row)
        return paths

    def _sample_host(self) -> None:
        t = self._clock()
        stats, errors = read_root_cgroup(self._root_paths)
        host, host_errors = read_host(self._proc_root)
        interfaces, net_errors = read_net_dev(1, self._proc_root)
        self._count(errors + host_errors + net_errors)
        row = cgroup_columns(stats)
        row.update(host_columns(host))
        row.update(network_columns(interfaces))
        row["pid"] = 1
        self._history.append(HOST_KEY, t, row)

    def _count(self, errors: list[ReadError]) -> None:
        if not errors:
            return
        self.read_errors += len(errors)
        self.last_error = errors[-1].message
        if self._log_throttle.due():
            log.warning("%s (%d unreadable files since start)", self.last_error, self.read_errors)

    # -- background ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="web-sampler", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        # the first tick one interval after start: start() callers sample once themselves (web.monitor)
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
