"""v2 cpuset: cpuset.cpus and cpuset.mems (empty means "inherit", so no copying as in v1)."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.resources import Resources


class CpusetV2:
    name = "cpuset"

    def set(self, cg: Path, res: Resources) -> list[str]:
        if res.cpuset_cpus is None and res.cpuset_mems is None:
            return []
        if not has_file(cg, "cpuset.cpus"):
            return [discarded.CPUSET]
        if res.cpuset_cpus is not None:
            write_file(cg, "cpuset.cpus", res.cpuset_cpus)
        if res.cpuset_mems is not None:
            write_file(cg, "cpuset.mems", res.cpuset_mems)
        return []
