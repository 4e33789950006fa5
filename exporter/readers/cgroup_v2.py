"""Reading one cgroup v2 group.

cgroup.controllers says which controllers are enabled for the group; the files of the others do not
exist, so they are not read (no error: a raw cgroup such as a systemd service may lack io or pids).
cpu.stat and the PSI files are core files present in every group.
"""

from __future__ import annotations

from pathlib import Path

from exporter.readers.files import UNLIMITED_ABOVE, FileReader
from exporter.readers.samples import BlkioDevice, CgroupStats, CpuStats, MemoryStats, PidsStats, Pressure, SpecStats

# io.stat keys -> BlkioDevice fields (no one shows the count of discards, dios, only their bytes)
_IO_FIELDS = {
    "rbytes": "read_bytes",
    "wbytes": "write_bytes",
    "rios": "read_ops",
    "wios": "write_ops",
    "dbytes": "discard_bytes",
}


def read_v2(directory: Path, reader: FileReader, *, include_spec: bool) -> CgroupStats:
    d = str(directory)
    text = reader.text(f"{d}/cgroup.controllers")
    enabled = frozenset(text.split()) if text is not None else frozenset()
    memory, memory_max = _memory(d, reader) if "memory" in enabled else (None, None)
    return CgroupStats(
        cpu=_cpu(d, reader),
        memory=memory,
        pids=_pids(d, reader) if "pids" in enabled else None,
        blkio=_io(d, reader) if "io" in enabled else (),
        pressure=_pressure(d, reader),
        spec=_spec(d, enabled, memory_max, reader) if include_spec else None,
    )


def read_v2_root(directory: Path, reader: FileReader) -> CgroupStats:
    """The root group: host totals. It has no memory.current, memory.max, pids.* or cpu.max (its limits are
    the machine's), so usage is computed from memory.stat as cAdvisor does: anon + file."""
    d = str(directory)
    stat = reader.keyed(f"{d}/memory.stat", optional=True)  # root memory.stat: kernel >= 5.x
    memory = None
    if stat is not None:
        anon, file, inactive_file = stat.get("anon"), stat.get("file"), stat.get("inactive_file")
        usage = None if anon is None or file is None else anon + file
        memory = MemoryStats(
            usage=usage,
            cache=file,
            rss=anon,
            mapped_file=stat.get("file_mapped"),
            active_file=stat.get("active_file"),
            inactive_file=inactive_file,
            working_set=None if usage is None else max(usage - (inactive_file or 0), 0),
            pgfault=stat.get("pgfault"),
            pgmajfault=stat.get("pgmajfault"),
            stat=stat,
        )
    return CgroupStats(
        cpu=_cpu(d, reader),
        memory=memory,
        blkio=_io(d, reader, optional=True),  # root io.stat: kernel >= 5.x
        pressure=_pressure(d, reader),
    )


def _us_to_ns(value: int | None) -> int | None:
    return None if value is None else value * 1000


def _cpu(d: str, reader: FileReader) -> CpuStats:
    # usage/user/system are always there; the throttling keys only with the cpu controller enabled
    stat = reader.keyed(f"{d}/cpu.stat") or {}
    return CpuStats(
        usage_ns=_us_to_ns(stat.get("usage_usec")),
        user_ns=_us_to_ns(stat.get("user_usec")),
        system_ns=_us_to_ns(stat.get("system_usec")),
        nr_periods=stat.get("nr_periods"),
        nr_throttled=stat.get("nr_throttled"),
        throttled_ns=_us_to_ns(stat.get("throttled_usec")),
        nr_bursts=stat.get("nr_bursts"),  # burst counters: kernel >= 5.14
        burst_ns=_us_to_ns(stat.get("burst_usec")),
    )


def _memory(d: str, reader: FileReader) -> tuple[MemoryStats, str | None]:
    """The memory stats, and memory.max as read, for the spec."""
    usage = reader.integer(f"{d}/memory.current")
    max_path = f"{d}/memory.max"
    memory_max = reader.text(max_path)
    memory_max = None if memory_max is None else memory_max.strip()
    stat = reader.keyed(f"{d}/memory.stat") or {}
    events = reader.keyed(f"{d}/memory.events") or {}
    inactive_file = stat.get("inactive_file")
    working_set = None if usage is None else max(usage - (inactive_file or 0), 0)
    stats = MemoryStats(
        usage=usage,
        max_usage=reader.integer(f"{d}/memory.peak", optional=True),  # memory.peak: kernel >= 5.19
        limit=None if memory_max is None else reader.parse_limit(max_path, memory_max),
        # swap files exist only with swap accounting (CONFIG_MEMCG_SWAP, not swapaccount=0)
        swap=reader.integer(f"{d}/memory.swap.current", optional=True),
        cache=stat.get("file"),
        rss=stat.get("anon"),
        mapped_file=stat.get("file_mapped"),
        active_file=stat.get("active_file"),
        inactive_file=inactive_file,
        working_set=working_set,
        pgfault=stat.get("pgfault"),
        pgmajfault=stat.get("pgmajfault"),
        oom_kills=events.get("oom_kill"),
        events_high=events.get("high"),
        events_max=events.get("max"),
        stat=stat,
    )
    return stats, memory_max


def _pids(d: str, reader: FileReader) -> PidsStats:
    return PidsStats(current=reader.integer(f"{d}/pids.current"), limit=reader.limit(f"{d}/pids.max"))


def _io(d: str, reader: FileReader, *, optional: bool = False) -> tuple[BlkioDevice, ...]:
    path = f"{d}/io.stat"
    text = reader.text(path, optional=optional)
    if text is None:
        return ()
    devices = []
    for line in text.splitlines():
        if not line:
            continue
        device, *pairs = line.split()
        counters: dict[str, int] = {}
        try:
            major, _, minor = device.partition(":")
            for pair in pairs:
                key, _, value = pair.partition("=")
                field = _IO_FIELDS.get(key)
                if field is not None:
                    counters[field] = int(value)
            devices.append(BlkioDevice(int(major), int(minor), **counters))
        except ValueError:
            reader.fail(path, f"invalid line {line!r}: expected 'major:minor key=value ...'")
    return tuple(devices)


def _pressure(d: str, reader: FileReader) -> dict[str, Pressure]:
    """PSI "some"/"full" totals; the files are absent without CONFIG_PSI and unreadable with psi=0."""
    out: dict[str, Pressure] = {}
    for resource in ("cpu", "memory", "io"):
        path = f"{d}/{resource}.pressure"
        text = reader.text(path, optional=True)
        if text is None:
            continue
        totals: dict[str, int] = {}
        for line in text.splitlines():
            kind, _, rest = line.partition(" ")
            _, _, total = rest.rpartition("total=")
            try:
                totals[kind] = int(total) * 1000
            except ValueError:
                reader.fail(path, f"invalid line {line!r}: expected '... total=<usec>'")
        if "some" in totals:
            out[resource] = Pressure(some_ns=totals["some"], full_ns=totals.get("full"))
    return out


def _spec(d: str, enabled: frozenset[str], memory_max: str | None, reader: FileReader) -> SpecStats:
    shares = quota = period = None
    if "cpu" in enabled:
        weight = reader.integer(f"{d}/cpu.weight")
        if weight is not None and 1 <= weight <= 10000:
            # cAdvisor's linear inverse of runc's old shares->weight map, kept so container_spec_cpu_shares
            # reads the same as cAdvisor's (weight 100 -> 2597)
            shares = 2 + ((weight - 1) * 262142) // 9999
        path = f"{d}/cpu.max"
        text = reader.text(path)
        if text is not None:
            parts = text.split()
            if len(parts) == 2:
                quota = None if parts[0] == "max" else reader.parse_int(path, parts[0])
                period = reader.parse_int(path, parts[1])
            else:
                reader.fail(path, f"invalid value {text.strip()!r}: expected '<quota|max> <period>'")
    limit = reservation = swap_limit = None
    if "memory" in enabled:
        limit = None if memory_max is None else _spec_memory_value(reader, f"{d}/memory.max", memory_max)
        # Docker's reservation goes to memory.low (runc fs2); cAdvisor reads memory.min and so shows 0 for
        # it. We read the file the reservation is written to.
        reservation = _spec_memory(reader, f"{d}/memory.low")
        swap_limit = _spec_memory(reader, f"{d}/memory.swap.max", optional=True)
    return SpecStats(
        cpu_shares=shares,
        cpu_quota=quota,
        cpu_period=period,
        memory_limit=limit,
        memory_reservation=reservation,
        memory_swap_limit=swap_limit,
    )


def _spec_memory(reader: FileReader, path: str, *, optional: bool = False) -> int | None:
    """A memory limit as cAdvisor exports it: "max" and values above 2^62 become 0."""
    text = reader.text(path, optional=optional)
    return None if text is None else _spec_memory_value(reader, path, text.strip())


def _spec_memory_value(reader: FileReader, path: str, token: str) -> int | None:
    if token == "max":
        return 0
    value = reader.parse_int(path, token)
    return 0 if value is not None and value > UNLIMITED_ABOVE else value
