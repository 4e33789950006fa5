"""Timing commands for benchmarks on a shared machine."""

import statistics
import subprocess
import time


def alternated_ms(commands: list[list[str]], runs: int) -> list[tuple[float, float]]:
    """Fastest and median ms of each command over `runs` rounds, one run of each per round after a warm-up run,
    so that the machine's other load hits them alike."""
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, into in zip(commands, times, strict=True):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            into.append((time.perf_counter() - started) * 1000)
    return [(min(t), statistics.median(t)) for t in times]
