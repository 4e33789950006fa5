"""The last cgroup counters of the containers someone asked about, read when their process has exited and
before their cgroup is removed: a build's RUN step reports its CPU time, peak memory and bytes written."""

import threading

from exporter.readers.cgroup import read_cgroup
from exporter.readers.samples import CgroupPaths, CgroupStats
from runtime.cgroups import CgroupManager, Mode


class ExitSamples:
    def __init__(self, mode: Mode) -> None:
        self._mode = mode
        self._lock = threading.Lock()
        self._wanted: dict[str, CgroupStats | None] = {}

    def want(self, container_id: str) -> None:
        """Keep the final sample of this container (taken at its exit) until `pop`."""
        with self._lock:
            self._wanted[container_id] = None

    def take(self, container_id: str, cgroup: CgroupManager) -> None:
        """Called by the lifecycle at an exit, before the cgroup goes; reads only what was asked for."""
        with self._lock:
            if container_id not in self._wanted:
                return
        stats, _ = read_cgroup(CgroupPaths(self._mode, cgroup.paths()), include_spec=False)
        with self._lock:
            if container_id in self._wanted:
                self._wanted[container_id] = stats

    def pop(self, container_id: str) -> CgroupStats | None:
        with self._lock:
            return self._wanted.pop(container_id, None)
