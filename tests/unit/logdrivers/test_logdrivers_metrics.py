"""The log counters as Prometheus sees them, from a real shipper's stats and the shim's drop file."""

import threading

from prometheus_client import CollectorRegistry, generate_latest

from logdrivers.driver import DropCounts
from logdrivers.dropstats import drop_stats_path, read_drop_stats
from logdrivers.errors import LogFileError
from logdrivers.message import LineBatch
from logdrivers.metrics import ContainerLogStats, LogDriverCollector, LogStatsSnapshot
from logdrivers.nonblocking import NonBlockingDriver
from logdrivers.shipping.state import ShipperStats, ShippingCounters

LABELS = {"container_id": "c1", "container_name": "web", "driver": "fluentd"}


def snapshot():
    counters = ShippingCounters(
        shipped_lines=10,
        shipped_bytes=70,
        refused_lines=1,
        rotated_away_lines=4,
        removed_unsent_lines=0,
        errors=3,
        resumes=1,
    )
    shipping = ShipperStats("c1", "/web", "fluentd", counters, 2.5, 4096, True)
    return LogStatsSnapshot(
        [
            ContainerLogStats("c1", "web", "fluentd", DropCounts(7, 700), shipping),
            ContainerLogStats("c2", "db", "json-file", DropCounts(0, 0), write_failed_lines=219),
        ],
        [LogFileError("/x", "read drop counts", ValueError("bad"))],
    )


def test_every_counter_is_exported_per_container_and_driver():
    registry = CollectorRegistry()
    registry.register(LogDriverCollector(snapshot))
    value = registry.get_sample_value
    assert value("porthole_log_shipped_lines_total", LABELS) == 10
    assert value("porthole_log_shipped_bytes_total", LABELS) == 70
    assert value("porthole_log_dropped_lines_total", {**LABELS, "reason": "buffer-full"}) == 7
    assert value("porthole_log_dropped_bytes_total", {**LABELS, "reason": "buffer-full"}) == 700
    assert value("porthole_log_dropped_lines_total", {**LABELS, "reason": "rotated"}) == 4
    assert value("porthole_log_dropped_lines_total", {**LABELS, "reason": "refused"}) == 1
    assert value("porthole_log_dropped_lines_total", {**LABELS, "reason": "removed"}) == 0
    assert value("porthole_log_shipping_errors_total", LABELS) == 3
    assert value("porthole_log_shipping_resumes_total", LABELS) == 1
    assert value("porthole_log_shipping_lag_seconds", LABELS) == 2.5
    assert value("porthole_log_shipping_lag_bytes", LABELS) == 4096
    assert value("porthole_log_shipping_retrying", LABELS) == 1
    json_file = {"container_id": "c2", "container_name": "db", "driver": "json-file"}
    assert value("porthole_log_dropped_lines_total", {**json_file, "reason": "buffer-full"}) == 0
    assert value("porthole_log_dropped_lines_total", {**json_file, "reason": "write_failed"}) == 219
    assert value("porthole_log_dropped_lines_total", {**LABELS, "reason": "write_failed"}) == 0
    assert value("porthole_log_shipped_lines_total", json_file) is None  # written by the shim, never shipped
    assert value("porthole_log_stats_read_errors") == 1
    assert b"# TYPE porthole_log_dropped_lines_total counter" in generate_latest(registry)


def test_non_blocking_drops_reach_the_stats_file_and_carry_over_a_restart(info):
    drop_stats_path(info.log_path).write_text('{"lines": 5, "bytes": 50}')  # an earlier run of the shim
    started, release = threading.Event(), threading.Event()

    class Stalled:
        name = "stalled"

        def log(self, msg):
            release.wait(5)

        def log_batch(self, batch):
            started.set()
            release.wait(5)

        def close(self):
            pass

    driver = NonBlockingDriver(Stalled(), 10, drop_stats_path(info.log_path))
    driver.log_batch(LineBatch("stdout", 1, b"0123456789\n"))
    assert started.wait(5)  # the worker holds the first batch: the queue is empty again
    for _ in range(4):
        driver.log_batch(LineBatch("stdout", 1, b"0123456789\n"))  # one fills the queue, three are dropped
    release.set()
    driver.close()
    assert read_drop_stats(drop_stats_path(info.log_path)) == DropCounts(5 + 3, 50 + 30)
