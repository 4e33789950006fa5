"""cAdvisor's container metrics as one table: name, help, type, extra labels and the values of a sample.

Names, types, units and labels follow cAdvisor's lib/metrics/prometheus.go (see
shared/reference/cadvisor.md), so community dashboards work unchanged. Differences, each on purpose:
no explicit timestamps (a removed container's series go stale at once instead of lingering);
container_oom_events_total is the group's own oom_kill count, not parsed from /dev/kmsg (cAdvisor's stays 0);
container_memory_failcnt and container_fs_inodes_total are "untyped": cAdvisor types the first a counter
without the _total that `promtool check metrics` requires of one, and the second a gauge with a _total it
forbids on one; we keep the names dashboards query and leave the type open. container_health_status is
ours: cAdvisor knows no healthchecks.
"""

from __future__ import annotations

from exporter.container_values import (
    NS,
    blkio_usage,
    cpu,
    disk_io,
    filesystem,
    health_status,
    memory,
    memory_failures,
    network,
    pressure,
    spec,
    threads,
    threads_max,
    throttling,
    usage_per_cpu,
)
from exporter.exposition import MetricSpec


def _c(name: str, help: str, values, labels: tuple[str, ...] = ()) -> MetricSpec:
    return MetricSpec(name, help, "counter", values, labels)


def _g(name: str, help: str, values, labels: tuple[str, ...] = ()) -> MetricSpec:
    return MetricSpec(name, help, "gauge", values, labels)


_NET = (
    ("receive_bytes", "rx_bytes", "Cumulative count of bytes received"),
    ("receive_packets", "rx_packets", "Cumulative count of packets received"),
    ("receive_packets_dropped", "rx_dropped", "Cumulative count of packets dropped while receiving"),
    ("receive_errors", "rx_errors", "Cumulative count of errors encountered while receiving"),
    ("transmit_bytes", "tx_bytes", "Cumulative count of bytes transmitted"),
    ("transmit_packets", "tx_packets", "Cumulative count of packets transmitted"),
    ("transmit_packets_dropped", "tx_dropped", "Cumulative count of packets dropped while transmitting"),
    ("transmit_errors", "tx_errors", "Cumulative count of errors encountered while transmitting"),
)

CONTAINER_METRICS: tuple[MetricSpec, ...] = (
    # cpu
    _c("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", usage_per_cpu, ("cpu",)),
    _c(
        "container_cpu_user_seconds_total",
        "Cumulative user cpu time consumed in seconds.",
        cpu(lambda c: c.user_ns, NS),
    ),
    _c(
        "container_cpu_system_seconds_total",
        "Cumulative system cpu time consumed in seconds.",
        cpu(lambda c: c.system_ns, NS),
    ),
    _c(
        "container_cpu_cfs_periods_total",
        "Number of elapsed enforcement period intervals.",
        throttling(lambda c: c.nr_periods),
    ),
    _c(
        "container_cpu_cfs_throttled_periods_total",
        "Number of throttled period intervals.",
        throttling(lambda c: c.nr_throttled),
    ),
    _c(
        "container_cpu_cfs_throttled_seconds_total",
        "Total time duration the container has been throttled.",
        throttling(lambda c: c.throttled_ns, NS),
    ),
    _c(
        "container_cpu_cfs_burst_periods_total",
        "Number of periods when burst occurs.",
        throttling(lambda c: c.nr_bursts),
    ),
    _c(
        "container_cpu_cfs_burst_seconds_total",
        "Total time duration the container has been bursted.",
        throttling(lambda c: c.burst_ns, NS),
    ),
    _c(
        "container_pressure_cpu_stalled_seconds_total",
        "Total time duration no tasks in the container could make progress due to CPU congestion.",
        pressure("cpu", full=True),
    ),
    _c(
        "container_pressure_cpu_waiting_seconds_total",
        "Total time duration tasks in the container have waited due to CPU congestion.",
        pressure("cpu", full=False),
    ),
    # memory
    _g(
        "container_memory_usage_bytes",
        "Current memory usage in bytes, including all memory regardless of when it was accessed",
        memory(lambda m: m.usage),
    ),
    _g("container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes", memory(lambda m: m.max_usage)),
    _g("container_memory_working_set_bytes", "Current working set in bytes.", memory(lambda m: m.working_set)),
    _g("container_memory_rss", "Size of RSS in bytes.", memory(lambda m: m.rss)),
    _g("container_memory_cache", "Number of bytes of page cache memory.", memory(lambda m: m.cache)),
    _g("container_memory_mapped_file", "Size of memory mapped files in bytes.", memory(lambda m: m.mapped_file)),
    _g("container_memory_swap", "Container swap usage in bytes.", memory(lambda m: m.swap)),
    _g("container_memory_kernel_usage", "Size of kernel memory allocated in bytes.", memory(lambda m: m.kernel_usage)),
    MetricSpec(
        "container_memory_failcnt", "Number of memory usage hits limits", "untyped", memory(lambda m: m.failcnt)
    ),
    _c(
        "container_memory_failures_total",
        "Cumulative count of memory allocation failures.",
        memory_failures,
        ("failure_type", "scope"),
    ),
    _g(
        "container_memory_total_active_file_bytes",
        "Current total active file in bytes.",
        memory(lambda m: m.active_file),
    ),
    _g(
        "container_memory_total_inactive_file_bytes",
        "Current total inactive file in bytes.",
        memory(lambda m: m.inactive_file),
    ),
    _c(
        "container_oom_events_total",
        "Count of out of memory events observed for the container",
        memory(lambda m: m.oom_kills),
    ),
    _c(
        "container_memory_events_high_total",
        "Times the memory usage went over memory.high (cgroup v2)",
        memory(lambda m: m.events_high),
    ),
    _c(
        "container_memory_events_max_total",
        "Times the memory usage was about to go over memory.max (cgroup v2)",
        memory(lambda m: m.events_max),
    ),
    _c(
        "container_pressure_memory_stalled_seconds_total",
        "Total time duration no tasks in the container could make progress due to memory congestion.",
        pressure("memory", full=True),
    ),
    _c(
        "container_pressure_memory_waiting_seconds_total",
        "Total time duration tasks in the container have waited due to memory congestion.",
        pressure("memory", full=False),
    ),
    # network
    *(_c(f"container_network_{name}_total", f"{text}.", network(field), ("interface",)) for name, field, text in _NET),
    # block I/O and the writable layer
    _c("container_fs_reads_bytes_total", "Cumulative count of bytes read", disk_io("read_bytes"), ("device",)),
    _c("container_fs_writes_bytes_total", "Cumulative count of bytes written", disk_io("write_bytes"), ("device",)),
    _c("container_fs_reads_total", "Cumulative count of reads completed", disk_io("read_ops"), ("device",)),
    _c("container_fs_writes_total", "Cumulative count of writes completed", disk_io("write_ops"), ("device",)),
    _c(
        "container_blkio_device_usage_total",
        "Blkio device bytes usage",
        blkio_usage,
        ("device", "major", "minor", "operation"),
    ),
    _g(
        "container_fs_usage_bytes",
        "Number of bytes that are consumed by the container on this filesystem.",
        filesystem("usage_bytes"),
        ("device",),
    ),
    _g(
        "container_fs_limit_bytes",
        "Number of bytes that can be consumed by the container on this filesystem.",
        filesystem("limit_bytes"),
        ("device",),
    ),
    MetricSpec("container_fs_inodes_total", "Number of Inodes", "untyped", filesystem("inodes_total"), ("device",)),
    _g("container_fs_inodes_free", "Number of available Inodes", filesystem("inodes_free"), ("device",)),
    _c(
        "container_pressure_io_stalled_seconds_total",
        "Total time duration no tasks in the container could make progress due to IO congestion.",
        pressure("io", full=True),
    ),
    _c(
        "container_pressure_io_waiting_seconds_total",
        "Total time duration tasks in the container have waited due to IO congestion.",
        pressure("io", full=False),
    ),
    # tasks
    _g(
        "container_threads",
        "Number of threads running inside the container",
        threads,
    ),
    _g("container_threads_max", "Maximum number of threads allowed inside the container, 0 if unlimited", threads_max),
    # spec
    _g("container_spec_cpu_shares", "CPU share of the container.", spec(lambda p: p.cpu_shares)),
    _g("container_spec_cpu_quota", "CPU quota of the container.", spec(lambda p: p.cpu_quota)),
    _g("container_spec_cpu_period", "CPU period of the container.", spec(lambda p: p.cpu_period)),
    _g("container_spec_memory_limit_bytes", "Memory limit for the container.", spec(lambda p: p.memory_limit)),
    _g(
        "container_spec_memory_reservation_limit_bytes",
        "Memory reservation limit for the container.",
        spec(lambda p: p.memory_reservation),
    ),
    _g(
        "container_spec_memory_swap_limit_bytes",
        "Memory swap limit for the container.",
        spec(lambda p: p.memory_swap_limit),
    ),
    # lifecycle
    _g(
        "container_start_time_seconds",
        "Start time of the container since unix epoch in seconds.",
        lambda s: s.target.started_at,
    ),
    _g(
        "container_creation_time_seconds",
        "Creation time of the container since unix epoch in seconds.",
        lambda s: s.target.created_at,
    ),
    _g("container_last_seen", "Last time a container was seen by the exporter", lambda s: s.seen_at),
    # not cAdvisor's (it has no healthchecks): one series per state, 1 for the current one
    _g(
        "container_health_status",
        "Healthcheck state of the container: 1 for the current of starting, healthy, unhealthy.",
        health_status,
        ("status",),
    ),
)
