"""v1 cpuset: the CPUs and memory nodes a group may use."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, read_file, write_file
from runtime.cgroups.resources import Resources


class CpusetV1:
    name = "cpuset"

    def set(self, cg: Path, res: Resources) -> list[str]:
        if res.cpuset_cpus is None and res.cpuset_mems is None:
            return []
        if not has_file(cg, "cpuset.cpus"):
            return [discarded.CPUSET]
        if res.cpuset_mems is not None:
            write_file(cg, "cpuset.mems", res.cpuset_mems)
        if res.cpuset_cpus is not None:
            write_file(cg, "cpuset.cpus", res.cpuset_cpus)
        return []


def inherit_cpuset(parent: Path, child: Path) -> None:
    """A new v1 cpuset group starts with empty cpus and mems, and a task cannot join it (ENOSPC) until
    they are filled: copy the parent's."""
    for name in ("cpuset.cpus", "cpuset.mems"):
        if not read_file(child, name).strip():
            write_file(child, name, read_file(parent, name).strip())
