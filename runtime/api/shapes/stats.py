"""Docker's stats JSON (`GET /containers/{id}/stats`), rendered from the engine's samples: the current one, and
the previous one as precpu_stats/preread (what `docker stats` computes CPU % from)."""

from typing import Any

from common import rfc3339
from exporter.readers.samples import CgroupStats, HostStats
from runtime.engine.stats import StatsSample


def stats(current: StatsSample, previous: StatsSample | None = None) -> dict[str, Any]:
    """One stats object; a container with no process gets Docker's zeroed shape."""
    body: dict[str, Any] = {
        "name": "/" + current.name,
        "id": current.container_id,
        "read": _read(current),
        "preread": rfc3339.NEVER,
        "pids_stats": {},
        "blkio_stats": {},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": _cpu_section(current),
        "precpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "memory_stats": {},
    }
    if current.read_ns:
        body.update(
            pids_stats=_pids(current.cgroup),
            memory_stats=_memory(current.cgroup, current.host),
            blkio_stats=_blkio(current.cgroup),
            networks={
                name: {
                    "rx_bytes": n.rx_bytes,
                    "rx_packets": n.rx_packets,
                    "rx_errors": n.rx_errors,
                    "rx_dropped": n.rx_dropped,
                    "tx_bytes": n.tx_bytes,
                    "tx_packets": n.tx_packets,
                    "tx_errors": n.tx_errors,
                    "tx_dropped": n.tx_dropped,
                }
                for name, n in current.networks.items()
            },
        )
    if previous is not None:
        body.update(precpu_stats=_cpu_section(previous), preread=_read(previous))
    return body


def _read(sample: StatsSample) -> str:
    return rfc3339.format_ns(sample.read_ns) if sample.read_ns else rfc3339.NEVER


def _cpu_section(sample: StatsSample) -> dict[str, Any]:
    if not sample.read_ns:
        return {"cpu_usage": {"total_usage": 0}, "throttling_data": {}}
    return _cpu(sample.cgroup, sample.host)


def _cpu(stats: CgroupStats, host: HostStats) -> dict[str, Any]:
    cpu = stats.cpu
    usage: dict[str, Any] = {
        "total_usage": (cpu.usage_ns or 0) if cpu else 0,
        "usage_in_kernelmode": (cpu.system_ns or 0) if cpu else 0,
        "usage_in_usermode": (cpu.user_ns or 0) if cpu else 0,
    }
    if cpu and cpu.per_cpu_ns:
        usage["percpu_usage"] = list(cpu.per_cpu_ns)
    return {
        "cpu_usage": usage,
        "system_cpu_usage": host.system_cpu_ns or 0,
        "online_cpus": host.online_cpus or 0,
        "throttling_data": {
            "periods": (cpu.nr_periods or 0) if cpu else 0,
            "throttled_periods": (cpu.nr_throttled or 0) if cpu else 0,
            "throttled_time": (cpu.throttled_ns or 0) if cpu else 0,
        },
    }


def _memory(stats: CgroupStats, host: HostStats) -> dict[str, Any]:
    memory = stats.memory
    if memory is None:
        return {}
    body: dict[str, Any] = {
        "usage": memory.usage or 0,
        "stats": dict(memory.stat),
        # An unlimited container is limited by the host (moby and podman cap the limit at host memory).
        "limit": min(memory.limit or host.mem_total or 0, host.mem_total or memory.limit or 0),
    }
    if memory.max_usage is not None:
        body["max_usage"] = memory.max_usage
    if memory.failcnt is not None:
        body["failcnt"] = memory.failcnt
    return body


def _pids(stats: CgroupStats) -> dict[str, Any]:
    if stats.pids is None:
        return {}
    body = {"current": stats.pids.current or 0}
    if stats.pids.limit:
        body["limit"] = stats.pids.limit
    return body


def _blkio(stats: CgroupStats) -> dict[str, Any]:
    def entries(read: str, write: str) -> list[dict[str, Any]]:
        rows = []
        for d in stats.blkio:
            for op, attr in (("read", read), ("write", write)):
                rows.append({"major": d.major, "minor": d.minor, "op": op, "value": getattr(d, attr)})
        return rows

    return {
        "io_service_bytes_recursive": entries("read_bytes", "write_bytes"),
        "io_serviced_recursive": entries("read_ops", "write_ops"),
    }
