"""Host-wide and per-network-namespace counters from /proc.

`read_host` gives what CPU percentages and machine_* metrics are computed against; `read_net_dev` the
interface counters of the network namespace a process lives in.
"""

from __future__ import annotations

import os
from pathlib import Path

from exporter.readers.files import FileReader
from exporter.readers.samples import HostStats, InterfaceCounters, ReadError

PROC_ROOT = Path("/proc")

# /proc/stat counts USER_HZ ticks
_NS_PER_TICK = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
# user nice system idle iowait irq softirq: the fields moby sums for system_cpu_usage (steal and guest
# are left out, as in moby)
_SYSTEM_FIELDS = 7


def read_host(proc_root: Path = PROC_ROOT) -> tuple[HostStats, list[ReadError]]:
    """System CPU time (all and per CPU), online CPUs, MemTotal/SwapTotal and the load averages."""
    reader = FileReader()
    system_ns, per_cpu = _cpu_times(reader, f"{proc_root}/stat")
    meminfo = _meminfo(reader, f"{proc_root}/meminfo")
    return (
        HostStats(
            system_cpu_ns=system_ns,
            per_cpu_ns=per_cpu,
            online_cpus=len(per_cpu) or None,  # offline CPUs have no cpuN line
            mem_total=meminfo.get("MemTotal"),
            swap_total=meminfo.get("SwapTotal"),
            load=_load(reader, f"{proc_root}/loadavg"),
        ),
        reader.errors,
    )


def _cpu_times(reader: FileReader, path: str) -> tuple[int | None, tuple[int, ...]]:
    text = reader.text(path)
    if text is None:
        return None, ()
    total = None
    per_cpu = []
    for line in text.splitlines():
        if not line.startswith("cpu"):
            break  # the cpu lines come first
        name, *fields = line.split()
        try:
            ns = sum(int(v) for v in fields[:_SYSTEM_FIELDS]) * _NS_PER_TICK
        except ValueError:
            reader.fail(path, f"invalid line {line!r}: expected 'cpu<N> <ticks> ...'")
            continue
        if name == "cpu":
            total = ns
        else:
            per_cpu.append(ns)
    return total, tuple(per_cpu)


def _meminfo(reader: FileReader, path: str) -> dict[str, int]:
    text = reader.text(path)
    out: dict[str, int] = {}
    if text is None:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key not in ("MemTotal", "SwapTotal"):
            continue
        value, _, unit = rest.strip().partition(" ")
        try:
            out[key] = int(value) * (1024 if unit == "kB" else 1)
        except ValueError:
            reader.fail(path, f"invalid line {line!r}: expected '<key>: <value> kB'")
    return out


def _load(reader: FileReader, path: str) -> tuple[float, float, float] | None:
    text = reader.text(path)
    if text is None:
        return None
    try:
        one, five, fifteen = (float(v) for v in text.split()[:3])
    except ValueError:
        reader.fail(path, f"invalid value {text.strip()!r}: expected three load averages")
        return None
    return one, five, fifteen


def read_net_dev(pid: int, proc_root: Path = PROC_ROOT) -> tuple[dict[str, InterfaceCounters], list[ReadError]]:
    """Every interface of the process's network namespace, from /proc/<pid>/net/dev.

    Nothing is filtered: cAdvisor's rule of skipping lo, veth*, docker* and nerdctl* is the exporter's.
    """
    reader = FileReader()
    path = f"{proc_root}/{pid}/net/dev"
    text = reader.text(path)
    out: dict[str, InterfaceCounters] = {}
    if text is None:
        return out, reader.errors
    for line in text.splitlines()[2:]:  # two header lines
        name, _, rest = line.partition(":")
        f = rest.split()
        try:
            out[name.strip()] = InterfaceCounters(
                rx_bytes=int(f[0]),
                rx_packets=int(f[1]),
                rx_errors=int(f[2]),
                rx_dropped=int(f[3]),
                tx_bytes=int(f[8]),
                tx_packets=int(f[9]),
                tx_errors=int(f[10]),
                tx_dropped=int(f[11]),
            )
        except (ValueError, IndexError):
            reader.fail(path, f"invalid line {line!r}: expected '<iface>: <16 counters>'")
    return out, reader.errors
