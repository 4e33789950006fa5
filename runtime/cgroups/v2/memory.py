"""v2 memory: memory.max, memory.swap.max (swap alone), memory.low."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.convert import swap_max
from runtime.cgroups.resources import Resources


class MemoryV2:
    name = "memory"

    def set(self, cg: Path, res: Resources) -> list[str]:
        warnings: list[str] = []
        if res.memory is not None:
            if not has_file(cg, "memory.max"):
                return [discarded.MEMORY]
            if res.memory_swap is not None:
                # memory.swap.max exists only with swap accounting (CONFIG_MEMCG_SWAP)
                if has_file(cg, "memory.swap.max"):
                    write_file(cg, "memory.swap.max", swap_max(res.memory, res.memory_swap))
                else:
                    warnings.append(discarded.SWAP)
            write_file(cg, "memory.max", str(res.memory))
        if res.memory_reservation is not None:
            # runc maps Docker's soft limit to memory.low: best-effort protection, like v1's soft limit
            if has_file(cg, "memory.low"):
                write_file(cg, "memory.low", str(res.memory_reservation))
            else:
                warnings.append(discarded.MEMORY_RESERVATION)
        if res.oom_kill_disable:
            warnings.append(discarded.OOM_KILL_DISABLE)  # v2 has no switch to turn the OOM killer off
        return warnings
