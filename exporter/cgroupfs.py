"""The one entry point for a cgroup's counters: `read_cgroup(paths)` -> (stats, read errors).

Find the paths with `cgroup_paths_of_pid` (exporter, web: from a container's pid) or build them from
the runtime's cgroup manager (`CgroupPaths(mode, manager.paths())`).
"""

from __future__ import annotations

from exporter.cgroupfs_files import FileReader
from exporter.cgroupfs_paths import cgroup_layout, cgroup_paths_of_pid, v1_mount_dirs
from exporter.cgroupfs_v1 import read_v1
from exporter.cgroupfs_v2 import read_v2
from exporter.samples import CgroupPaths, CgroupStats, ReadError

__all__ = ["cgroup_layout", "cgroup_paths_of_pid", "read_cgroup", "v1_mount_dirs"]


def read_cgroup(paths: CgroupPaths, *, include_spec: bool = True) -> tuple[CgroupStats, list[ReadError]]:
    """Everything the stats endpoint, the exporter and the dashboard show for one cgroup, each file read
    once. Files that fail are reported in the list; the stats hold whatever else was read.

    include_spec=False skips the limit files (container_spec_*), which change only on `docker update`.
    """
    reader = FileReader()
    if paths.mode == "v2":
        directory = paths.dirs.get("")
        if directory is None:
            return CgroupStats(), []
        stats = read_v2(directory, reader, include_spec=include_spec)
    else:
        stats = read_v1(paths.dirs, reader, include_spec=include_spec)
    return stats, reader.errors
