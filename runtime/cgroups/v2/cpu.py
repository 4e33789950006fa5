"""v2 cpu: cpu.weight (converted from shares) and cpu.max."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.convert import cpu_max, cpu_weight
from runtime.cgroups.resources import Resources


class CpuV2:
    name = "cpu"

    def set(self, cg: Path, res: Resources) -> list[str]:
        warnings: list[str] = []
        if res.cpu_shares is not None:
            if has_file(cg, "cpu.weight"):
                write_file(cg, "cpu.weight", str(cpu_weight(res.cpu_shares)))
            else:
                warnings.append(discarded.CPU_SHARES)
        period, quota = res.cfs_period_quota()
        if period is not None or quota is not None:
            if has_file(cg, "cpu.max"):
                write_file(cg, "cpu.max", cpu_max(period, quota))
            else:
                warnings.append(discarded.CPU_CFS)
        return warnings
