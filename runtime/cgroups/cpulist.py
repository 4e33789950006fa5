"""Kernel CPU/memory-node lists ("0-3,5"), as cpuset.cpus and cpuset.mems hold them."""

from __future__ import annotations

from collections.abc import Iterable


def parse_cpu_list(text: str) -> list[tuple[int, int]]:
    """ "0-2,5" -> [(0, 2), (5, 5)]; "" -> []. Raises ValueError("invalid format: <text>") as Docker's
    ParseUintList does: only unsigned decimal numbers and ascending ranges."""
    if text == "":
        return []
    ranges = []
    for part in text.split(","):
        low, dash, high = part.partition("-")
        if not _is_number(low) or (dash and not _is_number(high)):
            raise ValueError(f"invalid format: {text}")
        first = int(low)
        last = int(high) if dash else first
        if last < first:
            raise ValueError(f"invalid format: {text}")
        ranges.append((first, last))
    return ranges


def _is_number(token: str) -> bool:
    return token.isascii() and token.isdigit()


def all_within(ranges: Iterable[tuple[int, int]], available: frozenset[int]) -> bool:
    """Whether every number of the ranges is in `available` (without expanding a huge range)."""
    return all(
        last - first < len(available) and all(n in available for n in range(first, last + 1)) for first, last in ranges
    )


def format_cpu_list(numbers: Iterable[int]) -> str:
    """{0, 1, 2, 5} -> "0-2,5"."""
    parts = []
    run: list[int] = []
    for n in sorted(set(numbers)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(_run(run))
        run = [n]
    if run:
        parts.append(_run(run))
    return ",".join(parts)


def _run(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"
