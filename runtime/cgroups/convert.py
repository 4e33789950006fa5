"""Mapping Docker's (cgroup v1 shaped) values onto cgroup v2 files."""

from __future__ import annotations

import math

from runtime.cgroups.resources import MAX_CPU_SHARES, MIN_CPU_SHARES


def cpu_weight(shares: int) -> int:
    """cpu.weight (1-10000, default 100) for cpu.shares (2-262144, default 1024).

    runc's current formula (runc PR #4785, crun #1721, kubernetes #131216): a quadratic in log2(shares)
    through 2 -> 1, 1024 -> 100 and 262144 -> 10000. The old linear map gave the default 1024 shares a
    weight of 39, so containers lost out against services left at the default 100.
    """
    if shares <= MIN_CPU_SHARES:
        return 1
    if shares >= MAX_CPU_SHARES:
        return 10000
    log = math.log2(shares)
    return math.ceil(10 ** ((log * log + 125 * log) / 612 - 7 / 34))


def io_weight(blkio_weight: int) -> int:
    """io.weight (1-10000) for a blkio weight (10-1000), runc's linear map; io.bfq.weight takes the
    blkio scale as it is."""
    return 1 + (blkio_weight - 10) * 9999 // 990


def swap_max(memory: int, memory_swap: int) -> str:
    """memory.swap.max holds swap alone; Docker's MemorySwap is memory + swap (-1: unlimited)."""
    return "max" if memory_swap < 0 else str(memory_swap - memory)


def cpu_max(period: int | None, quota: int | None) -> str:
    """cpu.max "<quota|max> <period>"; the period defaults to the kernel's 100 ms."""
    limit = "max" if quota is None or quota < 0 else str(quota)
    return f"{limit} {period or 100_000}"
