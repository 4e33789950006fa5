"""cgroups for containers: Resources parsed from Docker's HostConfig, and one manager interface with a
v1 and a v2 implementation (limits, freeze, pids, OOM kills, cleanup).

    res = Resources.from_host_config(host_config)           # InvalidParameter on bad input
    cg = open_manager(f"{cgroup_parent}/{container_id}")     # v1 or v2, detected from /sys/fs/cgroup
    cg.create()
    warnings = cg.set(res)                                    # Docker's texts for limits the host lacks
    # the container's first process writes its pid into each of cg.procs_files()
    stats, errors = exporter.readers.cgroup.read_cgroup(CgroupPaths(detect_mode(), cg.paths()))
    cg.destroy()
"""

from runtime.cgroups.controller import Controller
from runtime.cgroups.hostinfo import HostInfo
from runtime.cgroups.manager import (
    CgroupManager,
    Mode,
    detect_mode,
    open_manager,
    remove_parent_if_empty,
)
from runtime.cgroups.resources import DeviceRate, Resources

__all__ = [
    "CgroupManager",
    "Controller",
    "DeviceRate",
    "HostInfo",
    "Mode",
    "Resources",
    "detect_mode",
    "open_manager",
    "remove_parent_if_empty",
]
