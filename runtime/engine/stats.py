"""Docker's stats JSON (`GET /containers/{id}/stats`), read from cgroupfs and /proc through the exporter's
readers, so `docker stats` and the Prometheus exporter compute each number the same way."""

import time
from typing import Any

from common import rfc3339
from exporter.readers.cgroup import read_cgroup
from exporter.readers.procfs import read_host, read_net_dev
from exporter.readers.samples import CgroupPaths, CgroupStats, HostStats
from runtime.cgroups import detect_mode
from runtime.engine.config import DaemonConfig
from runtime.engine.launch import cgroup_for
from runtime.engine.model import LIVE, Container


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


def sample(config: DaemonConfig, container: Container) -> dict[str, Any]:
    """One stats object without precpu_stats; a stopped container gets Docker's zeroed shape."""
    body: dict[str, Any] = {
        "name": "/" + container.name,
        "id": container.id,
        "read": rfc3339.NEVER,
        "preread": rfc3339.NEVER,
        "pids_stats": {},
        "blkio_stats": {},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "precpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "memory_stats": {},
    }
    if container.state.status not in LIVE:
        return body
    paths = CgroupPaths(detect_mode(config.cgroup_root), cgroup_for(config, container.id).paths())
    stats, _ = read_cgroup(paths, include_spec=False)
    host, _ = read_host()
    # A container on the host's network has no interfaces of its own: Docker reports none for it, rather than
    # the host's counters as the container's.
    on_host = container.host_config.get("NetworkMode") == "host"
    networks = {} if on_host else read_net_dev(container.state.pid)[0]
    body.update(
        read=rfc3339.format_ns(time.time_ns()),
        pids_stats=_pids(stats),
        cpu_stats=_cpu(stats, host),
        memory_stats=_memory(stats, host),
        blkio_stats=_blkio(stats),
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
            for name, n in networks.items()
            if name != "lo"
        },
    )
    return body


def with_previous(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    if previous is not None:
        current["precpu_stats"] = previous["cpu_stats"]
        current["preread"] = previous["read"]
    return current
