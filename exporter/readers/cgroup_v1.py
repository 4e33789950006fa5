"""Reading one cgroup v1 group: cpu, cpuacct, memory, pids and blkio, each from its own hierarchy.

A controller whose hierarchy is not in the paths (not mounted) yields None and no error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from exporter.readers.files import UNLIMITED_ABOVE, FileReader
from exporter.readers.samples import BlkioDevice, CgroupStats, CpuStats, MemoryStats, PidsStats, SpecStats

# cpuacct.stat counts USER_HZ ticks.
_NS_PER_TICK = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def read_v1(dirs: Mapping[str, Path], reader: FileReader, *, include_spec: bool) -> CgroupStats:
    cpu_dir = str(dirs["cpu"]) if "cpu" in dirs else None
    memory_dir = str(dirs["memory"]) if "memory" in dirs else None
    cpu = _cpu(str(dirs["cpuacct"]) if "cpuacct" in dirs else None, cpu_dir, reader)
    memory, raw_limit = _memory(memory_dir, reader) if memory_dir else (None, None)
    pids = _pids(str(dirs["pids"]), reader) if "pids" in dirs else None
    blkio = _blkio(str(dirs["blkio"]), reader) if "blkio" in dirs else ()
    spec = _spec(cpu_dir, memory_dir, raw_limit, reader) if include_spec else None
    return CgroupStats(cpu=cpu, memory=memory, pids=pids, blkio=blkio, spec=spec)


def _cpu(cpuacct: str | None, cpu: str | None, reader: FileReader) -> CpuStats | None:
    if cpuacct is None and cpu is None:
        return None
    usage = user = system = None
    per_cpu: tuple[int, ...] = ()
    if cpuacct is not None:
        usage = reader.integer(f"{cpuacct}/cpuacct.usage")
        percpu_path = f"{cpuacct}/cpuacct.usage_percpu"
        text = reader.text(percpu_path)
        if text is not None:
            try:
                per_cpu = tuple(int(v) for v in text.split())
            except ValueError:
                reader.fail(percpu_path, f"invalid value {text.strip()!r}: expected integers")
        ticks = reader.keyed(f"{cpuacct}/cpuacct.stat")
        if ticks is not None:
            user = _ns(ticks.get("user"))
            system = _ns(ticks.get("system"))
    throttling: dict[str, int] = {}
    if cpu is not None:
        throttling = reader.keyed(f"{cpu}/cpu.stat") or {}
    return CpuStats(
        usage_ns=usage,
        user_ns=user,
        system_ns=system,
        per_cpu_ns=per_cpu,
        nr_periods=throttling.get("nr_periods"),
        nr_throttled=throttling.get("nr_throttled"),
        throttled_ns=throttling.get("throttled_time"),
        nr_bursts=throttling.get("nr_bursts"),  # burst counters: kernel >= 5.14
        burst_ns=throttling.get("burst_time"),
    )


def _ns(ticks: int | None) -> int | None:
    return None if ticks is None else ticks * _NS_PER_TICK


def _memory(d: str, reader: FileReader) -> tuple[MemoryStats, int | None]:
    """The memory stats, and the limit file's raw value for the spec."""
    usage = reader.integer(f"{d}/memory.usage_in_bytes")
    stat = reader.keyed(f"{d}/memory.stat") or {}
    oom = reader.keyed(f"{d}/memory.oom_control") or {}

    def hierarchical(key: str) -> int | None:
        # total_* include sub-cgroups (use_hierarchy); cAdvisor prefers them and falls back to the plain key
        value = stat.get("total_" + key)
        return stat.get(key) if value is None else value

    inactive_file = hierarchical("inactive_file")
    raw_limit = reader.integer(f"{d}/memory.limit_in_bytes")
    stats = MemoryStats(
        usage=usage,
        max_usage=reader.integer(f"{d}/memory.max_usage_in_bytes"),
        limit=None if raw_limit is None or raw_limit > UNLIMITED_ABOVE else raw_limit,
        failcnt=reader.integer(f"{d}/memory.failcnt"),
        swap=hierarchical("swap"),  # present only with swap accounting
        cache=hierarchical("cache"),
        rss=hierarchical("rss"),
        mapped_file=hierarchical("mapped_file"),
        active_file=hierarchical("active_file"),
        inactive_file=inactive_file,
        working_set=_working_set(usage, inactive_file),
        # kmem files are gone on kernels built without kmem accounting
        kernel_usage=reader.integer(f"{d}/memory.kmem.usage_in_bytes", optional=True),
        pgfault=hierarchical("pgfault"),
        pgmajfault=hierarchical("pgmajfault"),
        oom_kills=oom.get("oom_kill"),  # "oom_kill N" since kernel 4.13
        stat=stat,
    )
    return stats, raw_limit


def _working_set(usage: int | None, inactive_file: int | None) -> int | None:
    if usage is None:
        return None
    return max(usage - (inactive_file or 0), 0)


def _pids(d: str, reader: FileReader) -> PidsStats:
    return PidsStats(current=reader.integer(f"{d}/pids.current"), limit=reader.limit(f"{d}/pids.max"))


# blkio file line operations -> BlkioDevice fields (Sync/Async/Total are sums of the others; no one shows
# the count of discards, only their bytes)
_BYTES = {"Read": "read_bytes", "Write": "write_bytes", "Discard": "discard_bytes"}
_OPS = {"Read": "read_ops", "Write": "write_ops"}


def _blkio(d: str, reader: FileReader) -> tuple[BlkioDevice, ...]:
    """Per-device I/O from the throttle layer, which counts every bio whatever the I/O scheduler
    (cAdvisor's source); kernels without CONFIG_BLK_DEV_THROTTLING fall back to the BFQ files."""
    devices: dict[tuple[int, int], dict[str, int]] = {}
    for kind, fields in (("io_service_bytes_recursive", _BYTES), ("io_serviced_recursive", _OPS)):
        path = f"{d}/blkio.throttle.{kind}"
        text = reader.text(path, optional=True)
        if text is None:
            path = f"{d}/blkio.bfq.{kind}"
            text = reader.text(path)
        if text is None:
            continue
        for line in text.splitlines():
            parts = line.split()
            if len(parts) != 3:  # the closing "Total N" line, or garbage
                if len(parts) != 2 or parts[0] != "Total":
                    reader.fail(path, f"invalid line {line!r}: expected 'major:minor op value'")
                continue
            field = fields.get(parts[1])
            if field is None:
                continue
            try:
                major, _, minor = parts[0].partition(":")
                counters = devices.setdefault((int(major), int(minor)), {})
                counters[field] = int(parts[2])
            except ValueError:
                reader.fail(path, f"invalid line {line!r}: expected 'major:minor op value'")
    return tuple(BlkioDevice(major, minor, **c) for (major, minor), c in sorted(devices.items()))


def _spec(cpu: str | None, memory_dir: str | None, raw_limit: int | None, reader: FileReader) -> SpecStats:
    shares = period = quota = None
    if cpu is not None:
        shares = reader.integer(f"{cpu}/cpu.shares")
        period = reader.integer(f"{cpu}/cpu.cfs_period_us")
        quota = reader.integer(f"{cpu}/cpu.cfs_quota_us")
        if quota is not None and quota < 0:  # -1: no quota
            quota = None
    limit = reservation = swap_limit = None
    if memory_dir is not None:
        limit = _spec_memory(raw_limit)
        reservation = _spec_memory(reader.integer(f"{memory_dir}/memory.soft_limit_in_bytes"))
        # memsw files exist only with swap accounting (swapaccount=1 / CONFIG_MEMCG_SWAP)
        swap_limit = _spec_memory(reader.integer(f"{memory_dir}/memory.memsw.limit_in_bytes", optional=True))
    return SpecStats(
        cpu_shares=shares,
        cpu_quota=quota,
        cpu_period=period,
        memory_limit=limit,
        memory_reservation=reservation,
        memory_swap_limit=swap_limit,
    )


def _spec_memory(value: int | None) -> int | None:
    if value is None:
        return None
    return 0 if value > UNLIMITED_ABOVE else value
