"""The values the cgroupfs and /proc readers return, shared by the daemon's stats endpoint, the
Prometheus exporter and the web dashboard so that each number is computed one way.

Conventions: sizes in bytes, times in nanoseconds (cgroup v1 and v2 both converted), counters as the
kernel reports them. `None` means "not available here" (a file this kernel does not have, a controller
that is not enabled for the group) or "could not be read"; the reader's error list tells which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, slots=True)
class ReadError:
    """One file that could not be read or parsed; the rest of the sample is still valid."""

    path: Path
    cause: str

    @property
    def message(self) -> str:
        return f"exporter: cannot read {self.path}: {self.cause}"


@dataclass(frozen=True, slots=True)
class CgroupPaths:
    """Where one cgroup lives: v1 maps each controller to its dir, v2 maps "" to the one dir."""

    mode: Literal["v1", "v2"]
    dirs: Mapping[str, Path]


@dataclass(frozen=True, slots=True)
class CpuStats:
    usage_ns: int | None = None
    user_ns: int | None = None
    system_ns: int | None = None
    per_cpu_ns: tuple[int, ...] = ()  # v1 only: v2 has no per-CPU accounting (cAdvisor #3064)
    nr_periods: int | None = None
    nr_throttled: int | None = None
    throttled_ns: int | None = None
    nr_bursts: int | None = None
    burst_ns: int | None = None


@dataclass(frozen=True, slots=True)
class MemoryStats:
    usage: int | None = None
    max_usage: int | None = None  # v1 max_usage_in_bytes, v2 memory.peak (kernel >= 5.19)
    limit: int | None = None  # None: unlimited ("max", or v1's near-2^63 default) or unread
    failcnt: int | None = None  # v1 only
    swap: int | None = None
    cache: int | None = None
    rss: int | None = None
    mapped_file: int | None = None
    active_file: int | None = None
    inactive_file: int | None = None
    working_set: int | None = None  # usage - inactive_file, floored at 0 (cAdvisor, docker CLI)
    kernel_usage: int | None = None  # v1 memory.kmem.usage_in_bytes
    pgfault: int | None = None
    pgmajfault: int | None = None
    oom_kills: int | None = None  # v1 memory.oom_control "oom_kill" (kernel >= 4.13), v2 memory.events
    events_high: int | None = None  # v2 only
    events_max: int | None = None  # v2 only
    stat: Mapping[str, int] = field(default_factory=dict)  # memory.stat as the kernel names its keys


@dataclass(frozen=True, slots=True)
class PidsStats:
    current: int | None = None
    limit: int | None = None  # None: "max" or unread


@dataclass(frozen=True, slots=True)
class BlkioDevice:
    major: int
    minor: int
    read_bytes: int = 0
    write_bytes: int = 0
    read_ops: int = 0
    write_ops: int = 0
    discard_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Pressure:
    """PSI totals of one resource (v2 <res>.pressure), in nanoseconds."""

    some_ns: int
    full_ns: int | None  # cpu "full" appeared in 5.13


@dataclass(frozen=True, slots=True)
class SpecStats:
    """Configured limits, as cAdvisor reports them in container_spec_*."""

    cpu_shares: int | None = None  # v2: cpu.weight mapped back to shares by cAdvisor's linear formula
    cpu_quota: int | None = None  # microseconds per period; None when unlimited
    cpu_period: int | None = None
    memory_limit: int | None = None  # 0 when unlimited (cAdvisor exports values above 2^62 as 0)
    memory_reservation: int | None = None
    memory_swap_limit: int | None = None  # v1: memory+swap total (memsw); v2: swap alone (memory.swap.max)


@dataclass(frozen=True, slots=True)
class CgroupStats:
    cpu: CpuStats | None = None
    memory: MemoryStats | None = None
    pids: PidsStats | None = None
    blkio: tuple[BlkioDevice, ...] = ()
    pressure: Mapping[str, Pressure] = field(default_factory=dict)  # "cpu", "memory", "io"; v2 only
    spec: SpecStats | None = None


@dataclass(frozen=True, slots=True)
class HostStats:
    system_cpu_ns: int | None = None  # first 7 fields of /proc/stat "cpu", as moby's system_cpu_usage
    per_cpu_ns: tuple[int, ...] = ()
    online_cpus: int | None = None
    mem_total: int | None = None
    swap_total: int | None = None
    load: tuple[float, float, float] | None = None


@dataclass(frozen=True, slots=True)
class InterfaceCounters:
    rx_bytes: int
    rx_packets: int
    rx_errors: int
    rx_dropped: int
    tx_bytes: int
    tx_packets: int
    tx_errors: int
    tx_dropped: int
