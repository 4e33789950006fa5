"""The resource limits of a container, parsed once from Docker's HostConfig and validated as Docker's
verifyPlatformContainerResources does (its messages are kept word for word: clients match on them).

Unset is None throughout. Memory 0, PidsLimit <= 0 and absent fields mean unset, as in Docker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.cgroups.cpulist import all_within, format_cpu_list, parse_cpu_list
from runtime.cgroups.hostconfig import get_bool, get_device_rates, get_int, get_str, invalid
from runtime.cgroups.hostinfo import HostInfo
from runtime.errors import InvalidParameter

INT64_MAX = (1 << 63) - 1
# Docker's linuxMinMemory: not a kernel limit, room for start-up overhead.
MIN_MEMORY = 6 * 1024 * 1024
# The kernel's MIN_SHARES and MAX_SHARES (1 << 18); Docker clamps into this range.
MIN_CPU_SHARES = 2
MAX_CPU_SHARES = 262144
# --cpus=N is N * 100 ms of CPU time per 100 ms period (sched-bwc.txt).
NANO_CPUS_PERIOD = 100_000


@dataclass(frozen=True, slots=True)
class DeviceRate:
    major: int
    minor: int
    rate: int


@dataclass(frozen=True, slots=True)
class Resources:
    memory: int | None = None
    memory_swap: int | None = None  # memory + swap; -1 unlimited swap
    memory_reservation: int | None = None
    cpu_shares: int | None = None
    nano_cpus: int | None = None
    cpu_period: int | None = None  # microseconds
    cpu_quota: int | None = None  # microseconds per period; -1 unlimited
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    blkio_weight: int | None = None
    device_read_bps: tuple[DeviceRate, ...] = ()
    device_write_bps: tuple[DeviceRate, ...] = ()
    device_read_iops: tuple[DeviceRate, ...] = ()
    device_write_iops: tuple[DeviceRate, ...] = ()
    pids_limit: int | None = None
    oom_kill_disable: bool = False
    # device cgroup rules beyond Docker's default list, as v1's devices.allow spells them ("c 10:229 rwm");
    # "a *:* rwm" allows every device (--privileged). Filled from --device and --device-cgroup-rule at start.
    device_rules: tuple[str, ...] = ()

    def cfs_period_quota(self) -> tuple[int | None, int | None]:
        """(period, quota) to write: NanoCpus become a quota over a 100 ms period."""
        if self.nano_cpus is not None:
            return NANO_CPUS_PERIOD, self.nano_cpus * NANO_CPUS_PERIOD // 1_000_000_000
        return self.cpu_period, self.cpu_quota

    @classmethod
    def from_host_config(cls, hc: Mapping[str, Any], host: HostInfo | None = None) -> Resources:
        """Parse and validate; raises InvalidParameter naming the field and the reason."""
        if not isinstance(hc, Mapping):
            raise InvalidParameter(f"cgroups: invalid HostConfig {hc!r}: expected an object")
        host = host or HostInfo.detect()
        memory, memory_swap, reservation = _memory(hc)
        shares, nano_cpus, period, quota = _cpu(hc, host)
        weight = get_int(hc, "BlkioWeight")
        if weight != 0 and not 10 <= weight <= 1000:
            raise InvalidParameter("Range of blkio weight is from 10 to 1000")
        pids_limit = get_int(hc, "PidsLimit")
        return cls(
            memory=memory,
            memory_swap=memory_swap,
            memory_reservation=reservation,
            cpu_shares=shares,
            nano_cpus=nano_cpus,
            cpu_period=period,
            cpu_quota=quota,
            cpuset_cpus=_cpuset(hc, "CpusetCpus", "cpus", host.cpus, "CPUs"),
            cpuset_mems=_cpuset(hc, "CpusetMems", "mems", host.mems, "memory nodes"),
            blkio_weight=weight or None,
            device_read_bps=_rates(hc, "BlkioDeviceReadBps"),
            device_write_bps=_rates(hc, "BlkioDeviceWriteBps"),
            device_read_iops=_rates(hc, "BlkioDeviceReadIOps"),
            device_write_iops=_rates(hc, "BlkioDeviceWriteIOps"),
            pids_limit=pids_limit if pids_limit > 0 else None,
            oom_kill_disable=get_bool(hc, "OomKillDisable"),
        )


def _memory(hc: Mapping[str, Any]) -> tuple[int | None, int | None, int | None]:
    memory = get_int(hc, "Memory")
    swap = get_int(hc, "MemorySwap")
    reservation = get_int(hc, "MemoryReservation")
    if memory != 0 and memory < MIN_MEMORY:
        raise InvalidParameter("Minimum memory limit allowed is 6MB")
    for key, value in (("Memory", memory), ("MemorySwap", swap), ("MemoryReservation", reservation)):
        if not -1 <= value <= INT64_MAX:
            raise InvalidParameter(f"invalid HostConfig.{key} {value}: must fit a signed 64-bit integer (Go's int64)")
    if memory > 0 and swap == 0:
        # Docker's default: as much swap as memory; past int64, Go's arithmetic wraps negative: unlimited swap
        swap = 2 * memory if 2 * memory <= INT64_MAX else -1
    if memory > 0 and 0 < swap < memory:
        raise InvalidParameter("Minimum memoryswap limit should be larger than memory limit, see usage")
    if memory == 0 and swap > 0:
        raise InvalidParameter("You should always set the Memory limit when using Memoryswap limit, see usage")
    if 0 < reservation < MIN_MEMORY:
        raise InvalidParameter("Minimum memory reservation allowed is 6MB")
    if memory > 0 and reservation > 0 and memory < reservation:
        raise InvalidParameter("Minimum memory limit can not be less than memory reservation limit, see usage")
    if memory == 0:
        return None, None, reservation if reservation > 0 else None
    # any negative MemorySwap leaves swap unlimited in Docker (only values > 0 reach the runtime)
    return memory, swap if swap > 0 else -1, reservation if reservation > 0 else None


def _cpu(hc: Mapping[str, Any], host: HostInfo) -> tuple[int | None, int | None, int | None, int | None]:
    shares = get_int(hc, "CpuShares")
    nano_cpus = get_int(hc, "NanoCpus")
    period = get_int(hc, "CpuPeriod")
    quota = get_int(hc, "CpuQuota")
    if shares < 0:
        raise invalid("CpuShares", shares, "must not be negative")
    if shares > 0:
        shares = min(max(shares, MIN_CPU_SHARES), MAX_CPU_SHARES)  # Docker clamps, with a log line
    if nano_cpus > 0 and period > 0:
        raise InvalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if nano_cpus > 0 and quota > 0:
        raise InvalidParameter("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
    # below 0.01 CPU the quota would fall under the kernel's 1 ms minimum and fail only at start
    if nano_cpus < 0 or 0 < nano_cpus < 10_000_000 or nano_cpus > host.ncpu * 1_000_000_000:
        raise InvalidParameter(
            f"Range of CPUs is from 0.01 to {host.ncpu}.00, as there are only {host.ncpu} CPUs available"
        )
    if period != 0 and not 1000 <= period <= 1_000_000:
        raise InvalidParameter("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
    if 0 < quota < 1000:
        raise InvalidParameter("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if quota < -1:
        raise invalid("CpuQuota", quota, "must be -1 (unlimited) or at least 1000")
    return shares or None, nano_cpus or None, period or None, quota or None


def _cpuset(hc: Mapping[str, Any], field: str, what: str, available: frozenset[int], noun: str) -> str | None:
    text = get_str(hc, field)
    if not text:
        return None
    try:
        ranges = parse_cpu_list(text)
    except ValueError as e:
        raise InvalidParameter(f"Invalid value {text} for cpuset {what}: {e}") from e
    if not all_within(ranges, available):
        raise InvalidParameter(
            f"Requested {noun} are not available - requested {text}, available: {format_cpu_list(available)}"
        )
    return text


def _rates(hc: Mapping[str, Any], field: str) -> tuple[DeviceRate, ...]:
    return tuple(DeviceRate(major, minor, rate) for major, minor, rate in get_device_rates(hc, field))
