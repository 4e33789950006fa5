"""v2 io: weight (io.bfq.weight, else io.weight) and io.max limits."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.convert import io_weight
from runtime.cgroups.resources import Resources


class IoV2:
    name = "io"

    def set(self, cg: Path, res: Resources) -> list[str]:
        warnings: list[str] = []
        if res.blkio_weight is not None:
            # BFQ's file takes the blkio 10-1000 scale as is; io.weight (iocost) wants 1-10000
            if has_file(cg, "io.bfq.weight"):
                write_file(cg, "io.bfq.weight", str(res.blkio_weight))
            elif has_file(cg, "io.weight"):
                write_file(cg, "io.weight", str(io_weight(res.blkio_weight)))
            else:
                warnings.append(discarded.BLKIO_WEIGHT)
        limits: dict[tuple[int, int], list[str]] = {}
        for key, rates in (
            ("rbps", res.device_read_bps),
            ("wbps", res.device_write_bps),
            ("riops", res.device_read_iops),
            ("wiops", res.device_write_iops),
        ):
            for r in rates:
                limits.setdefault((r.major, r.minor), []).append(f"{key}={r.rate}")
        if not limits:
            return warnings
        if not has_file(cg, "io.max"):
            return [*warnings, *_throttle_warnings(res)]
        for (major, minor), settings in limits.items():  # one device per write
            write_file(cg, "io.max", f"{major}:{minor} {' '.join(settings)}")
        return warnings


def _throttle_warnings(res: Resources) -> list[str]:
    return [
        warning
        for rates, warning in (
            (res.device_read_bps, discarded.READ_BPS),
            (res.device_write_bps, discarded.WRITE_BPS),
            (res.device_read_iops, discarded.READ_IOPS),
            (res.device_write_iops, discarded.WRITE_IOPS),
        )
        if rates
    ]
