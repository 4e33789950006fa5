"""One row of history from the exporter's readers, and the column names the JSON API and the charts share.

Counters are stored as the kernel reports them (cumulative, nanoseconds and bytes); rates are worked out
by whoever reads two rows, so a row is exactly what the readers returned at that moment. A counter that
starts again from zero (the container restarted in a new cgroup, or its process changed) is recognised
by the `pid` column changing or the value going down.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporter.readers.samples import CgroupStats, HostStats, InterfaceCounters
from exporter.snapshot import IGNORED_INTERFACE_PREFIXES

CPU_COLUMNS = (
    ("cpu.usage_ns", "usage_ns"),
    ("cpu.user_ns", "user_ns"),
    ("cpu.system_ns", "system_ns"),
    ("cpu.periods", "nr_periods"),
    ("cpu.throttled_periods", "nr_throttled"),
    ("cpu.throttled_ns", "throttled_ns"),
)
MEMORY_COLUMNS = (
    ("memory.usage", "usage"),
    ("memory.working_set", "working_set"),
    ("memory.rss", "rss"),
    ("memory.cache", "cache"),
    ("memory.swap", "swap"),
    ("memory.limit", "limit"),
    ("memory.failcnt", "failcnt"),
    ("memory.oom_kills", "oom_kills"),
)
PIDS_COLUMNS = (("pids.current", "current"), ("pids.limit", "limit"))
BLKIO_COLUMNS = (
    ("blkio.read_bytes", "read_bytes"),
    ("blkio.write_bytes", "write_bytes"),
    ("blkio.read_ops", "read_ops"),
    ("blkio.write_ops", "write_ops"),
)
INTERFACE_FIELDS = (
    "rx_bytes",
    "tx_bytes",
    "rx_packets",
    "tx_packets",
    "rx_errors",
    "tx_errors",
    "rx_dropped",
    "tx_dropped",
)


def cgroup_columns(stats: CgroupStats) -> dict[str, float]:
    """cpu.*, memory.*, pids.* and blkio.* (summed over devices); a value the reader lacks is left out."""
    row: dict[str, float] = {}
    for group, columns in ((stats.cpu, CPU_COLUMNS), (stats.memory, MEMORY_COLUMNS), (stats.pids, PIDS_COLUMNS)):
        if group is None:
            continue
        for column, attribute in columns:
            value = getattr(group, attribute)
            if value is not None:
                row[column] = value
    if stats.cpu is not None:
        for n, value in enumerate(stats.cpu.per_cpu_ns):  # v1 only
            row[f"cpu.percpu.{n}"] = value
    if stats.blkio:
        for column, attribute in BLKIO_COLUMNS:
            row[column] = sum(getattr(device, attribute) for device in stats.blkio)
    return row


def network_columns(interfaces: Mapping[str, InterfaceCounters]) -> dict[str, float]:
    """net.<interface>.<field> for each interface but the ignored ones."""
    row: dict[str, float] = {}
    for name, counters in interfaces.items():
        if name.startswith(IGNORED_INTERFACE_PREFIXES):
            continue
        for field in INTERFACE_FIELDS:
            row[f"net.{name}.{field}"] = getattr(counters, field)
    return row


def host_columns(host: HostStats) -> dict[str, float]:
    """load.1, load.5, load.15 from /proc/loadavg (the host's CPU and memory come from the root cgroup)."""
    if host.load is None:
        return {}
    one, five, fifteen = host.load
    return {"load.1": one, "load.5": five, "load.15": fifteen}


def cpu_percent(rows: list[tuple[float, dict[str, float]]]) -> float | None:
    """CPU use between the last two rows in percent of one core (as `docker stats`); None across a restart."""
    if len(rows) < 2:
        return None
    (t0, before), (t1, after) = rows[-2], rows[-1]
    if before.get("pid") != after.get("pid") or t1 <= t0:
        return None
    used0, used1 = before.get("cpu.usage_ns"), after.get("cpu.usage_ns")
    if used0 is None or used1 is None or used1 < used0:
        return None
    return (used1 - used0) / ((t1 - t0) * 1e9) * 100
