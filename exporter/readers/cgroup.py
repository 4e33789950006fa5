"""The one entry point for a cgroup's counters: `read_cgroup(paths)` -> (stats, read errors).

Find the paths with `cgroup_paths_of_pid` (exporter, web: from a container's pid) or build them from
the runtime's cgroup manager (`CgroupPaths(mode, manager.paths())`).
"""

from __future__ import annotations

from exporter.readers.cgroup_v1 import read_v1
from exporter.readers.cgroup_v2 import read_v2, read_v2_root
from exporter.readers.files import FileReader
from exporter.readers.paths import cgroup_layout, cgroup_name, cgroup_paths_of_pid, root_cgroup_paths, v1_mount_dirs
from exporter.readers.samples import CgroupPaths, CgroupStats, ReadError

OOM_KILLS_FILE = {"v1": "memory.oom_control", "v2": "memory.events"}

__all__ = [
    "cgroup_layout",
    "cgroup_name",
    "cgroup_paths_of_pid",
    "read_cgroup",
    "read_oom_kills",
    "read_root_cgroup",
    "root_cgroup_paths",
    "v1_mount_dirs",
]


def read_cgroup(paths: CgroupPaths, *, include_spec: bool = True) -> tuple[CgroupStats, list[ReadError]]:
    """Everything the stats endpoint, the exporter and the dashboard show for one cgroup, each file read
    once. Files that fail are reported in the list; the stats hold whatever else was read.

    include_spec=False skips the limit files (container_spec_*), which change only on `docker update`.
    """
    reader = FileReader(reuse_dirs=True)
    try:
        if paths.mode == "v2":
            directory = paths.dirs.get("")
            if directory is None:
                return CgroupStats(), []
            stats = read_v2(directory, reader, include_spec=include_spec)
        else:
            stats = read_v1(paths.dirs, reader, include_spec=include_spec)
    finally:
        reader.close()
    return stats, reader.errors


def read_oom_kills(paths: CgroupPaths) -> tuple[int, list[ReadError]]:
    """How many tasks of the group the OOM killer killed ("oom_kill N" in v1's memory.oom_control since kernel
    4.13, and in v2's memory.events); 0 without the memory controller or a kernel that counts. Read alone, for
    the engine's exit path: the stats readers take the same key from the same files."""
    directory = paths.dirs.get("memory" if paths.mode == "v1" else "")
    if directory is None:
        return 0, []
    reader = FileReader()
    counts = reader.keyed(f"{directory}/{OOM_KILLS_FILE[paths.mode]}", optional=True) or {}
    return counts.get("oom_kill", 0), reader.errors


def read_root_cgroup(paths: CgroupPaths) -> tuple[CgroupStats, list[ReadError]]:
    """The root group (from root_cgroup_paths): the host's totals. The root lacks the files that hold a
    group's own limits and counts (v1 pids.*, v2 memory.current and cpu.max ...); those parts stay None."""
    reader = FileReader(reuse_dirs=True)
    try:
        if paths.mode == "v2":
            directory = paths.dirs.get("")
            if directory is None:
                return CgroupStats(), []
            return read_v2_root(directory, reader), reader.errors
        # the v1 pids controller has no pids.current or pids.max in its root
        dirs = {controller: path for controller, path in paths.dirs.items() if controller != "pids"}
        return read_v1(dirs, reader, include_spec=False), reader.errors
    finally:
        reader.close()
