"""Finding cgroups: which hierarchy layout a host has, where each v1 controller is mounted, and in which
cgroup a process lives.

Everything is worked out from the layout of the cgroup root directory (not from /proc/self/mountinfo),
so a fake tree under a test's tmp_path drives it exactly like /sys/fs/cgroup.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from exporter.readers.samples import CgroupPaths

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_ROOT = Path("/proc")

Layout = Literal["unified", "hybrid", "legacy"]


def cgroup_layout(cgroup_root: Path = CGROUP_ROOT) -> Layout:
    """unified: cgroup2 at the root; hybrid: v1 controllers plus a cgroup2 at <root>/unified; else legacy.

    runc and containerd test statfs(root).f_type for CGROUP2_SUPER_MAGIC; Python's os.statvfs has no
    f_type, and only a cgroup2 root carries cgroup.controllers, so the file tells the same thing.
    """
    if (cgroup_root / "cgroup.controllers").exists():
        return "unified"
    if (cgroup_root / "unified" / "cgroup.controllers").exists():
        return "hybrid"
    return "legacy"


def v1_hierarchies(cgroup_root: Path = CGROUP_ROOT) -> dict[str, Path]:
    """Each mounted v1 hierarchy: mount dir name ("cpu,cpuacct", "memory", "systemd") -> mount dir.

    Aliases (the "cpu" -> "cpu,cpuacct" symlinks some distributions add) and the cgroup2 mount of a
    hybrid host are left out.
    """
    found: dict[str, Path] = {}
    for entry in sorted(cgroup_root.iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            continue
        if (entry / "cgroup.controllers").exists() or not (entry / "cgroup.procs").exists():
            continue
        found[entry.name] = entry
    return found


def controllers_of_hierarchy(name: str) -> tuple[str, ...]:
    """The controller names a v1 mount dir serves: "cpu,cpuacct" -> (cpu, cpuacct); "systemd" is the
    named hierarchy "name=systemd"."""
    if name == "systemd":
        return ("name=systemd",)
    return tuple(name.split(","))


def v1_mount_dirs(cgroup_root: Path = CGROUP_ROOT) -> dict[str, Path]:
    """Controller name -> the v1 mount dir serving it (cpu and cpuacct may share one)."""
    return {
        controller: mount
        for name, mount in v1_hierarchies(cgroup_root).items()
        for controller in controllers_of_hierarchy(name)
    }


def cgroup_paths_of_pid(
    pid: int,
    *,
    proc_root: Path = PROC_ROOT,
    cgroup_root: Path = CGROUP_ROOT,
    mounts: Mapping[str, Path] | None = None,
) -> CgroupPaths:
    """The cgroup dirs of a process, from /proc/<pid>/cgroup.

    Pass `mounts` (from v1_mount_dirs) to spare the directory scan when resolving many pids.
    Controllers with no mount under cgroup_root are left out. Raises OSError (FileNotFoundError when the
    process is gone) if /proc/<pid>/cgroup cannot be read.
    """
    text = (proc_root / str(pid) / "cgroup").read_text()
    return cgroup_paths_from_text(text, cgroup_root=cgroup_root, mounts=mounts)


def cgroup_paths_from_text(
    text: str, *, cgroup_root: Path = CGROUP_ROOT, mounts: Mapping[str, Path] | None = None
) -> CgroupPaths:
    """The cgroup dirs a /proc/<pid>/cgroup text names (for a caller that keeps the text to compare later)."""
    if cgroup_layout(cgroup_root) == "unified":
        for line in text.splitlines():
            if line.startswith("0::"):
                return CgroupPaths("v2", {"": cgroup_root / line[3:].lstrip("/")})
        return CgroupPaths("v2", {})
    if mounts is None:
        mounts = v1_mount_dirs(cgroup_root)
    dirs: dict[str, Path] = {}
    for line in text.splitlines():
        _, controllers, path = line.split(":", 2)
        if not controllers:  # the "0::" line of a hybrid host names the systemd-only cgroup2 tree
            continue
        relative = path.lstrip("/")
        for controller in controllers.split(","):
            mount = mounts.get(controller)
            if mount is not None:
                dirs[controller] = mount / relative
    return CgroupPaths("v1", dirs)


def root_cgroup_paths(cgroup_root: Path = CGROUP_ROOT, mounts: Mapping[str, Path] | None = None) -> CgroupPaths:
    """The root group of every hierarchy: the host's totals (cAdvisor's id="/")."""
    if cgroup_layout(cgroup_root) == "unified":
        return CgroupPaths("v2", {"": cgroup_root})
    return CgroupPaths("v1", dict(v1_mount_dirs(cgroup_root) if mounts is None else mounts))


# The v1 controllers whose path names a group, in order of preference: a container sits at the same path in
# every hierarchy, a process outside any container may not (systemd puts it elsewhere in name=systemd).
_NAMING_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "blkio")


def cgroup_name(paths: CgroupPaths, cgroup_root: Path = CGROUP_ROOT, mounts: Mapping[str, Path] | None = None) -> str:
    """A group's path below its hierarchy's root, which cAdvisor uses as the id label: "/" for the root,
    "/docker/<id>" for a container. "" when the paths name none of the usual controllers."""
    if paths.mode == "v2":
        directory = paths.dirs.get("")
        return "" if directory is None else _below(directory, cgroup_root)
    if mounts is None:
        mounts = v1_mount_dirs(cgroup_root)
    for controller in _NAMING_CONTROLLERS:
        directory, mount = paths.dirs.get(controller), mounts.get(controller)
        if directory is not None and mount is not None:
            return _below(directory, mount)
    return ""


def _below(directory: Path, root: Path) -> str:
    relative = directory.relative_to(root).as_posix()
    return "/" if relative == "." else "/" + relative
