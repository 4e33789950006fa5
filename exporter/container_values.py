"""How each container metric's values come out of a ContainerSample: small functions the table in
exporter/container_metrics.py is built from. A metric without extra labels gives one number or None (the
kernel or the container does not have it); one with extra labels gives (extra label values, value) pairs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from exporter.readers.samples import CpuStats, MemoryStats, SpecStats
from exporter.snapshot import ContainerSample

NS = 1e9

Series = Iterable[tuple[tuple[str, ...], float]]
Value = Callable[[ContainerSample], float | None]
NONE: tuple = ()


def cpu(get: Callable[[CpuStats], int | None], scale: float = 1.0) -> Value:
    def value(s: ContainerSample) -> float | None:
        c = s.stats.cpu
        v = None if c is None else get(c)
        return v if v is None or scale == 1.0 else v / scale

    return value


def throttling(get: Callable[[CpuStats], int | None], scale: float = 1.0) -> Value:
    """cfs_* series exist only for a container with a CPU quota (cAdvisor)."""
    plain = cpu(get, scale)

    def value(s: ContainerSample) -> float | None:
        spec = s.target.spec
        return None if spec is None or spec.cpu_quota is None else plain(s)

    return value


def memory(get: Callable[[MemoryStats], int | None]) -> Value:
    def value(s: ContainerSample) -> float | None:
        m = s.stats.memory
        return None if m is None else get(m)

    return value


def spec(get: Callable[[SpecStats], int | None]) -> Value:
    def value(s: ContainerSample) -> float | None:
        sp = s.target.spec
        return None if sp is None else get(sp)

    return value


def usage_per_cpu(s: ContainerSample) -> Series:
    """cpu="cpu00".."cpuNN" where the kernel accounts per CPU (v1), else cpu="total" (v2, cAdvisor #3064).
    As cAdvisor, CPUs the container never ran on are left out."""
    c = s.stats.cpu
    if c is None:
        return NONE
    if c.per_cpu_ns:
        return [((f"cpu{i:02d}",), v / NS) for i, v in enumerate(c.per_cpu_ns) if v > 0]
    return NONE if c.usage_ns is None else ((("total",), c.usage_ns / NS),)


def memory_failures(s: ContainerSample) -> Series:
    m = s.stats.memory
    if m is None:
        return NONE
    out = []
    for kind, value in (("pgfault", m.pgfault), ("pgmajfault", m.pgmajfault)):
        if value is not None:  # cAdvisor gives both scopes the same value
            out.append(((kind, "container"), value))
            out.append(((kind, "hierarchy"), value))
    return out


def pressure(resource: str, full: bool) -> Value:
    def value(s: ContainerSample) -> float | None:
        p = s.stats.pressure.get(resource)
        if p is None:
            return None
        v = p.full_ns if full else p.some_ns
        return None if v is None else v / NS

    return value


def network(field: str) -> Callable[[ContainerSample], Series]:
    def values(s: ContainerSample) -> Series:
        return [((name,), getattr(counters, field)) for name, counters in s.interfaces]

    return values


def disk_io(field: str) -> Callable[[ContainerSample], Series]:
    def values(s: ContainerSample) -> Series:
        return [((device,), getattr(d, field)) for device, d in s.devices]

    return values


def blkio_usage(s: ContainerSample) -> Series:
    out = []
    for device, d in s.devices:
        major, minor = str(d.major), str(d.minor)
        for operation, value in (("Read", d.read_bytes), ("Write", d.write_bytes), ("Discard", d.discard_bytes)):
            out.append(((device, major, minor, operation), value))
    return out


def filesystem(field: str) -> Callable[[ContainerSample], Series]:
    def values(s: ContainerSample) -> Series:
        fs = s.filesystem
        return NONE if fs is None else (((fs.device,), getattr(fs, field)),)

    return values


def threads(s: ContainerSample) -> float | None:
    p = s.stats.pids
    return None if p is None else p.current


def threads_max(s: ContainerSample) -> float | None:
    p = s.stats.pids
    # pids.max "max" is exported as 0, as cAdvisor does for every unlimited limit
    return None if p is None or p.current is None else p.limit or 0


HEALTH_STATES = ("starting", "healthy", "unhealthy")


def health_status(s: ContainerSample) -> Series:
    """status="starting|healthy|unhealthy", 1 for the container's; no series without a healthcheck."""
    current = s.target.health
    if current is None:
        return NONE
    return [((state,), float(state == current)) for state in HEALTH_STATES]
