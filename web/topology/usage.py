"""CPU and memory for the map: a container's and the host's from the newest rows the dashboard's sampler
wrote (each cgroup is read once in the web process, and the map shows the dashboard's numbers), and a
process's CPU from two readings of its /proc/<pid>/stat."""

from __future__ import annotations

from web.columns import cpu_percent
from web.history import HistoryStore
from web.sampler import HOST_KEY

# The cgroup controllers behind the map's CPU and memory ("" is v2's one directory): all a probe of its own
# (probe_main) samples; leaving out blkio, pids and cpu (throttling) spares most of the files.
MAP_CONTROLLERS = frozenset({"cpuacct", "memory", ""})


def percent(used_seconds: float | None, elapsed: float | None) -> float | None:
    """CPU time used over wall time, in % of one core (`docker stats`'s scale: 200% is two busy cores)."""
    if used_seconds is None or not elapsed or used_seconds < 0:
        return None  # no earlier reading, or a counter that went back (a new process)
    return round(100.0 * used_seconds / elapsed, 2)


def sampled_usage(history: HistoryStore, key: str) -> tuple[float | None, int | None]:
    """(CPU % between the last two samples, memory usage in bytes) of a container, or of the host under
    HOST_KEY; Nones for what was not sampled (yet)."""
    rows = history.last(key, 2)
    cpu = cpu_percent(rows)
    memory = rows[-1][1].get("memory.usage") if rows else None
    return (None if cpu is None else round(cpu, 2)), (None if memory is None else int(memory))


def sampled_load(history: HistoryStore) -> tuple[float, float, float] | None:
    """The host's load averages at the last sample."""
    rows = history.last(HOST_KEY)
    if not rows:
        return None
    last = rows[-1][1]
    if not all(f"load.{n}" in last for n in (1, 5, 15)):
        return None
    return last["load.1"], last["load.5"], last["load.15"]
