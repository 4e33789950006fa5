"""The log pipeline's counters as a Prometheus collector: per container and driver, one snapshot per scrape.

Register it on the daemon's registry: `registry.register(LogDriverCollector(shipping_manager.log_stats))`.
Lines lost anywhere are one family, `porthole_log_dropped_lines_total`, told apart by `reason`:
  buffer-full  mode=non-blocking dropped them in the shim (Docker drops these silently)
  write_failed the shim's write to the local log failed (a full disk; Docker's logger_log_write_operations_failed);
               lines only: the bytes of a refused write are not counted
  rotated      the local log rotated them away before they were shipped
  refused      the collector can never take them (a GELF message over 128 chunks)
  removed      the container was removed and delivery gave up (after ShipperConfig.removal_drain_s)
Drivers that count their own records (elasticsearch: documents) add porthole_log_documents_total, told apart
by `outcome` (shipped, duplicate, retried, rejected; see logdrivers.shipping.positioned.DocumentCounts).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from logdrivers.driver import DropCounts
from logdrivers.errors import LogDriverError
from logdrivers.shipping.state import ShipperStats

LABELS = ("container_id", "container_name", "driver")
DOCUMENT_OUTCOMES = ("shipped", "duplicate", "retried", "rejected")


@dataclass(frozen=True, slots=True)
class ContainerLogStats:
    container_id: str
    container_name: str  # without the leading "/"
    driver: str
    drops: DropCounts  # mode=non-blocking, counted by the shim
    shipping: ShipperStats | None = None  # None where the shim writes the driver itself (json-file, none)
    write_failed_lines: int = 0  # refused by the local log (a full disk), counted by the shim


@dataclass(frozen=True, slots=True)
class LogStatsSnapshot:
    containers: list[ContainerLogStats]
    errors: list[LogDriverError] = field(default_factory=list)  # stats that could not be read


class LogDriverCollector(Collector):
    def __init__(self, take_snapshot: Callable[[], LogStatsSnapshot]) -> None:
        """`take_snapshot` is called once per scrape (e.g. ShippingManager.log_stats)."""
        self._take_snapshot = take_snapshot

    def describe(self) -> Iterable[Metric]:
        return list(self._families())

    def collect(self) -> Iterable[Metric]:
        snapshot = self._take_snapshot()
        families = {family.name: family for family in self._families()}
        for stats in snapshot.containers:
            base = [stats.container_id, stats.container_name, stats.driver]
            dropped = families["porthole_log_dropped_lines"]
            dropped.add_metric([*base, "buffer-full"], stats.drops.lines)
            dropped.add_metric([*base, "write_failed"], stats.write_failed_lines)
            families["porthole_log_dropped_bytes"].add_metric([*base, "buffer-full"], stats.drops.bytes)
            shipping = stats.shipping
            if shipping is None:
                continue
            c = shipping.counters
            for reason, value in (
                ("rotated", c.rotated_away_lines),
                ("refused", c.refused_lines),
                ("removed", c.removed_unsent_lines),
            ):
                dropped.add_metric([*base, reason], value)
            for name, value in (
                ("porthole_log_shipped_lines", c.shipped_lines),
                ("porthole_log_shipped_bytes", c.shipped_bytes),
                ("porthole_log_shipping_errors", c.errors),
                ("porthole_log_shipping_resumes", c.resumes),
                ("porthole_log_shipping_lag_seconds", shipping.lag_seconds),
                ("porthole_log_shipping_lag_bytes", shipping.lag_bytes),
                ("porthole_log_shipping_retrying", float(shipping.retrying)),
            ):
                families[name].add_metric(base, value)
            if shipping.documents is not None:
                for outcome in DOCUMENT_OUTCOMES:
                    value = getattr(shipping.documents, outcome)
                    families["porthole_log_documents"].add_metric([*base, outcome], value)
        families["porthole_log_stats_read_errors"].add_metric([], len(snapshot.errors))
        yield from families.values()

    @staticmethod
    def _families() -> Iterator[Metric]:
        reason = [*LABELS, "reason"]
        yield CounterMetricFamily(
            "porthole_log_shipped_lines", "Log lines delivered to the remote driver", labels=LABELS
        )
        yield CounterMetricFamily(
            "porthole_log_shipped_bytes",
            "Bytes of log lines (newlines excluded) delivered to the remote driver",
            labels=LABELS,
        )
        yield CounterMetricFamily(
            "porthole_log_dropped_lines",
            "Log lines lost, by reason (buffer-full, write_failed, rotated, refused, removed)",
            labels=reason,
        )
        yield CounterMetricFamily("porthole_log_dropped_bytes", "Bytes of log lines lost, by reason", labels=reason)
        yield CounterMetricFamily(
            "porthole_log_shipping_errors", "Failed delivery attempts (each is retried)", labels=LABELS
        )
        yield CounterMetricFamily(
            "porthole_log_shipping_resumes",
            "Shipping resumed from a saved position (each may send up to one batch twice after a crash)",
            labels=LABELS,
        )
        yield GaugeMetricFamily(
            "porthole_log_shipping_lag_seconds", "Age of the oldest log line not yet shipped", labels=LABELS
        )
        yield GaugeMetricFamily(
            "porthole_log_shipping_lag_bytes", "Bytes of the local log not yet shipped", labels=LABELS
        )
        yield GaugeMetricFamily(
            "porthole_log_shipping_retrying", "1 while the last delivery attempt failed", labels=LABELS
        )
        yield CounterMetricFamily(
            "porthole_log_documents",
            "Records of drivers that count their own (elasticsearch documents), by outcome: shipped (new), "
            "duplicate (already there: a replay), retried (sent again after 429, 5xx or a failed request), "
            "rejected (malformed: kept in the dead-letter file); since the daemon started",
            labels=[*LABELS, "outcome"],
        )
        yield GaugeMetricFamily(
            "porthole_log_stats_read_errors",
            "Log statistics that could not be read in this scrape (a damaged stats file, a vanished directory)",
            labels=(),
        )
