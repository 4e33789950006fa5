"""A container's CPU and memory for the probe, through the exporter's cgroup reader (so the map shows the
dashboard's and the exporter's numbers), reading only the two controllers the map shows."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from exporter.readers.cgroup import cgroup_paths_of_pid, read_cgroup
from exporter.readers.samples import CgroupPaths, ReadError

# v1: the controllers behind CPU and memory ("" is v2's single directory). Leaving out blkio, pids and cpu
# (throttling) spares most of the files read_cgroup would open.
_CONTROLLERS = ("cpuacct", "memory", "")


def percent(used_seconds: float | None, elapsed: float | None) -> float | None:
    """CPU time used over wall time, in % of one core (`docker stats`'s scale: 200% is two busy cores)."""
    if used_seconds is None or not elapsed or used_seconds < 0:
        return None  # no earlier reading, or a counter that went back (a new process)
    return round(100.0 * used_seconds / elapsed, 2)


class ContainerMeter:
    def __init__(self, proc_root: Path, cgroup_root: Path, mounts: Mapping[str, Path] | None) -> None:
        self._proc_root = proc_root
        self._cgroup_root = cgroup_root
        self._mounts = mounts
        self._paths: dict[str, tuple[int, CgroupPaths]] = {}  # by container, with the pid they are of
        self._usage_ns: dict[str, int] = {}

    def forget(self, keep: set[str]) -> None:
        """Drop what is kept for containers no longer running."""
        self._paths = {k: v for k, v in self._paths.items() if k in keep}
        self._usage_ns = {k: v for k, v in self._usage_ns.items() if k in keep}

    def read(
        self, container_id: str, pid: int, elapsed: float | None, errors: list[ReadError]
    ) -> tuple[float | None, int | None]:
        """(CPU % since the last read, memory usage in bytes); Nones for what could not be read."""
        known = self._paths.get(container_id)
        paths = known[1] if known is not None and known[0] == pid else None
        if paths is None:  # new, or restarted: a new process, maybe a new cgroup
            try:
                found = cgroup_paths_of_pid(
                    pid, proc_root=self._proc_root, cgroup_root=self._cgroup_root, mounts=self._mounts
                )
            except FileNotFoundError:
                return None, None  # exited since it was located
            except OSError as e:
                errors.append(ReadError(self._proc_root / str(pid) / "cgroup", e.strerror or str(e)))
                return None, None
            paths = CgroupPaths(found.mode, {k: v for k, v in found.dirs.items() if k in _CONTROLLERS})
            self._paths[container_id] = (pid, paths)
            self._usage_ns.pop(container_id, None)
        stats, read_errors = read_cgroup(paths, include_spec=False)
        errors.extend(read_errors)
        usage = stats.cpu.usage_ns if stats.cpu is not None else None
        before = self._usage_ns.get(container_id)
        if usage is not None:
            self._usage_ns[container_id] = usage
        used = None if usage is None or before is None else (usage - before) / 1e9
        memory = stats.memory.usage if stats.memory is not None else None
        return percent(used, elapsed), memory
