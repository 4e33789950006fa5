"""The cgroup manager interface, the per-controller interface behind it, and picking an implementation.

A manager owns one group (a relative path such as "porthole/<id>") in every hierarchy; v1 and v2 differ
only inside their implementations (runtime/cgroups/v1, runtime/cgroups/v2).
"""

from __future__ import annotations

import errno
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from exporter.readers.paths import CGROUP_ROOT, cgroup_layout, v1_hierarchies
from runtime.cgroups.resources import Resources
from runtime.cgroups.v1.manager import V1Manager
from runtime.cgroups.v2.manager import V2Manager
from runtime.errors import HostError, InvalidParameter

Mode = Literal["v1", "v2"]
DEFAULT_TIMEOUT = 10.0


class CgroupManager(Protocol):
    def create(self) -> None:
        """Make the group in every hierarchy, ready for limits and processes; idempotent."""

    def set(self, res: Resources) -> list[str]:
        """Write every limit that is set; return Docker's warnings for those this host cannot apply."""

    def procs_files(self) -> list[Path]:
        """The cgroup.procs files a process writes its own pid into to join the group."""

    def freeze(self, frozen: bool) -> None:
        """Freeze or thaw every task, returning once the kernel reports the new state."""

    def is_frozen(self) -> bool:
        """Whether the kernel reports every task frozen (False while a freeze is half-done, or with no freezer)."""

    def pids(self) -> list[int]:
        """The pids in the group and its sub-groups."""

    def oom_kills(self) -> int:
        """How many tasks of the group the OOM killer has killed (0 without the memory controller)."""

    def destroy(self) -> None:
        """SIGKILL what is left, wait until empty, remove the group everywhere; idempotent."""

    def paths(self) -> dict[str, Path]:
        """Controller -> group dir (v1), or {"": group dir} (v2), for exporter.readers.cgroup.read_cgroup."""


def detect_mode(cgroup_root: Path = CGROUP_ROOT) -> Mode:
    """v2 on a unified host; v1 on hybrid (the cgroup2 mount there holds no controllers) and legacy."""
    return "v2" if cgroup_layout(cgroup_root) == "unified" else "v1"


def open_manager(
    group: str,
    *,
    cgroup_root: Path = CGROUP_ROOT,
    mode: Mode | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> CgroupManager:
    """The manager of `group` (relative to the cgroup root; a leading "/" is allowed, as in Docker's
    --cgroup-parent). `timeout` bounds every wait on the kernel (freeze, emptying, removal)."""
    parts = group_parts(group)
    mode = mode or detect_mode(cgroup_root)
    if mode == "v2":
        return V2Manager(parts, cgroup_root, timeout)
    return V1Manager(parts, cgroup_root, timeout)


def group_parts(group: str) -> tuple[str, ...]:
    parts = tuple(p for p in PurePosixPath(group).parts if p != "/")
    if not parts or any(p in (".", "..") for p in parts):
        raise InvalidParameter(f"cgroups: invalid cgroup path {group!r}: must name a group below the cgroup root")
    return parts


def remove_parent_if_empty(parent: str, *, cgroup_root: Path = CGROUP_ROOT, mode: Mode | None = None) -> bool:
    """rmdir a parent group (e.g. a test's own) in every hierarchy, unless it still has sub-groups or
    processes. Returns True when it is gone everywhere. Never kills anything."""
    parts = group_parts(parent)
    mode = mode or detect_mode(cgroup_root)
    if mode == "v2":
        mounts = [cgroup_root]
    else:
        mounts = list(v1_hierarchies(cgroup_root).values())
    gone = True
    for mount in mounts:
        directory = mount.joinpath(*parts)
        if not directory.is_dir():
            continue
        if any(entry.is_dir() for entry in directory.iterdir()):
            gone = False
            continue
        try:
            directory.rmdir()
        except OSError as e:
            if e.errno != errno.EBUSY:  # EBUSY: processes still in it, which is the caller's answer
                raise HostError(f"cgroups: cannot remove {directory}: {e.strerror}") from e
            gone = False
    return gone
