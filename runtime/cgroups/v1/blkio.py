"""v1 blkio: proportional weight and per-device throttling."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.resources import DeviceRate, Resources

# blkio.weight belonged to CFQ, which left the kernel in 5.0; BFQ offers blkio.bfq.weight on the same
# 10-1000 scale (newer runc prefers it too).
WEIGHT_FILES = ("blkio.bfq.weight", "blkio.weight")


class BlkioV1:
    name = "blkio"

    def set(self, cg: Path, res: Resources) -> list[str]:
        warnings: list[str] = []
        if res.blkio_weight is not None:
            weight_file = next((f for f in WEIGHT_FILES if has_file(cg, f)), None)
            if weight_file is None:
                warnings.append(discarded.BLKIO_WEIGHT)
            else:
                write_file(cg, weight_file, str(res.blkio_weight))
        for name, rates, warning in (
            ("blkio.throttle.read_bps_device", res.device_read_bps, discarded.READ_BPS),
            ("blkio.throttle.write_bps_device", res.device_write_bps, discarded.WRITE_BPS),
            ("blkio.throttle.read_iops_device", res.device_read_iops, discarded.READ_IOPS),
            ("blkio.throttle.write_iops_device", res.device_write_iops, discarded.WRITE_IOPS),
        ):
            if rates and not has_file(cg, name):
                warnings.append(warning)
            else:
                _write_rates(cg, name, rates)
        return warnings


def _write_rates(cg: Path, name: str, rates: tuple[DeviceRate, ...]) -> None:
    for r in rates:  # the kernel takes one device per write
        write_file(cg, name, f"{r.major}:{r.minor} {r.rate}")
