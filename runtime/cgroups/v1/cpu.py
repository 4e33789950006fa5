"""v1 cpu: shares and CFS bandwidth (period/quota)."""

from __future__ import annotations

import errno
from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import CgroupWriteError, has_file, write_file
from runtime.cgroups.resources import Resources

PERIOD = "cpu.cfs_period_us"
QUOTA = "cpu.cfs_quota_us"


class CpuV1:
    name = "cpu"

    def set(self, cg: Path, res: Resources) -> list[str]:
        warnings: list[str] = []
        if res.cpu_shares is not None:
            if has_file(cg, "cpu.shares"):
                write_file(cg, "cpu.shares", str(res.cpu_shares))
            else:
                warnings.append(discarded.CPU_SHARES)
        period, quota = res.cfs_period_quota()
        if period is None and quota is None:
            return warnings
        if not has_file(cg, QUOTA):
            return [*warnings, discarded.CPU_CFS]
        if period is None:
            write_file(cg, QUOTA, str(quota))
            return warnings
        try:
            write_file(cg, PERIOD, str(period))
        except CgroupWriteError as e:
            # a shorter period can make the current quota exceed what the parent allows: the kernel
            # then wants the new quota first (runc does the same)
            if e.errno != errno.EINVAL or quota is None:
                raise
            write_file(cg, QUOTA, str(quota))
            write_file(cg, PERIOD, str(period))
            return warnings
        if quota is not None:
            write_file(cg, QUOTA, str(quota))
        return warnings
