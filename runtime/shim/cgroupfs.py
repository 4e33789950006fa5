"""The container's /sys/fs/cgroup, as runc mounts Docker's default `{"destination": "/sys/fs/cgroup", "type":
"cgroup", "options": ["ro", "nosuid", "noexec", "nodev"]}` (libcontainer/rootfs_linux.go mountCgroupV1/V2):

- v1: a tmpfs (mode=755, writable as runc leaves it), under it each hierarchy of the container's group bound
  read-only under the name of its host mount ("memory", "cpu,cpuacct", "systemd"), and a symlink for each
  controller of a co-mounted hierarchy ("cpu" -> "cpu,cpuacct");
- v2: the container's group itself, bound read-only on /sys/fs/cgroup (what a cgroup2 mount in its private
  cgroup namespace shows).

--privileged gets the binds writable, as Docker's spec drops "ro" for it. JVMs and Go's automaxprocs size
themselves from these files (memory.limit_in_bytes, cpu.cfs_quota_us; memory.max, cpu.max).
"""

import os
from collections.abc import Callable

from runtime.linux.constants import MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT
from runtime.linux.syscalls import mount

UNIFIED = ""  # the key of a v2 host's one group: it is /sys/fs/cgroup itself
_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC


def cgroup_mounts(procs_files: list[str], is_mount: Callable[[str], bool] = os.path.ismount) -> dict[str, str]:
    """Where each of the container's group dirs (those of the cgroup.procs files it joined) shows in its
    /sys/fs/cgroup: on v1 under the name of its hierarchy's mount ("memory", "cpu,cpuacct", "systemd"), on v2
    (a mount holding cgroup.controllers at its top) as the whole, UNIFIED."""
    mounts = {}
    for procs in procs_files:
        group = top = os.path.dirname(procs)
        while not is_mount(top) and top != "/":
            top = os.path.dirname(top)
        if os.path.exists(os.path.join(top, "cgroup.controllers")):
            return {UNIFIED: group}
        mounts[os.path.basename(top)] = group
    return mounts


def controller_links(names: list[str]) -> list[tuple[str, str]]:
    """(link, target) for each controller of a co-mounted v1 hierarchy: ("cpu", "cpu,cpuacct"), as runc makes
    them (relative, beside the hierarchy)."""
    return [(controller, name) for name in sorted(names) if "," in name for controller in name.split(",")]


def mount_cgroupfs(target: str, mounts: dict[str, str], writable: bool) -> None:
    """Mount the container's cgroup view at `target` (a host path: its /sys/fs/cgroup inside the rootfs)."""
    os.makedirs(target, exist_ok=True)
    if UNIFIED in mounts:
        _bind(mounts[UNIFIED], target, writable)
        return
    mount("tmpfs", target, "tmpfs", _FLAGS, "mode=755")
    for name, source in sorted(mounts.items()):
        hierarchy = os.path.join(target, name)
        os.mkdir(hierarchy, 0o755)
        _bind(source, hierarchy, writable)
    for link, hierarchy in controller_links(list(mounts)):
        os.symlink(hierarchy, os.path.join(target, link))


def _bind(source: str, target: str, writable: bool) -> None:
    # A bind ignores flags on the first call; the remount keeps those the kernel locked (in a user namespace).
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | _FLAGS | (0 if writable else MS_RDONLY) | _locked_flags(target)
    mount(None, target, None, flags)


def _locked_flags(path: str) -> int:
    return MS_RDONLY if os.statvfs(path).f_flag & os.ST_RDONLY else 0
