"""v1 memory: limit, memory+swap limit, soft limit, OOM killer switch."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, read_file, write_file
from runtime.cgroups.resources import Resources

LIMIT = "memory.limit_in_bytes"
MEMSW = "memory.memsw.limit_in_bytes"  # exists only with swap accounting (swapaccount=1)


class MemoryV1:
    name = "memory"

    def set(self, cg: Path, res: Resources) -> list[str]:
        warnings: list[str] = []
        if res.memory is not None:
            if not has_file(cg, LIMIT):
                return [discarded.MEMORY]
            swap = res.memory_swap
            if swap is not None and not has_file(cg, MEMSW):
                warnings.append(discarded.SWAP)
                swap = None
            _write_limits(cg, res.memory, swap)
        if res.memory_reservation is not None:
            if has_file(cg, "memory.soft_limit_in_bytes"):
                write_file(cg, "memory.soft_limit_in_bytes", str(res.memory_reservation))
            else:
                warnings.append(discarded.MEMORY_RESERVATION)
        if res.oom_kill_disable:
            if has_file(cg, "memory.oom_control"):
                write_file(cg, "memory.oom_control", "1")
            else:
                warnings.append(discarded.OOM_KILL_DISABLE)
        return warnings


def _write_limits(cg: Path, memory: int, swap: int | None) -> None:
    """The kernel keeps limit_in_bytes <= memsw.limit_in_bytes at every step (EINVAL otherwise), so a
    rising memsw goes first and a falling one last."""
    if swap is None:
        write_file(cg, LIMIT, str(memory))
        return
    current_memsw = int(read_file(cg, MEMSW))
    if swap == -1 or swap > current_memsw:
        write_file(cg, MEMSW, str(swap))
        write_file(cg, LIMIT, str(memory))
    else:
        write_file(cg, LIMIT, str(memory))
        write_file(cg, MEMSW, str(swap))
