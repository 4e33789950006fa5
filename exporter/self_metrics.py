"""The exporter's own metrics: what a scrape costs and what failed, in an explicit registry.

A failed read never fails the scrape (the rest is still exported); it sets container_scrape_error for that
scrape, counts the file in porthole_exporter_read_errors_total and is logged at most once a minute per file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from common.throttle import LogThrottle
from exporter.readers.samples import ReadError

log = logging.getLogger("porthole.exporter")


class ExporterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.scrape_seconds = Histogram(
            "porthole_exporter_scrape_duration_seconds",
            "Time to read every container's counters and write the exposition, per scrape",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.containers = Gauge(
            "porthole_exporter_containers",
            "Containers exported by the last scrape, the host's root group included",
            registry=self.registry,
        )
        self.scrape_error = Gauge(
            "container_scrape_error",
            "1 if there was an error while getting container metrics, 0 otherwise",
            registry=self.registry,
        )
        self.read_errors = Counter(
            "porthole_exporter_read_errors",
            "Failed reads of cgroupfs and /proc files, by file name",
            ["file"],
            registry=self.registry,
        )
        self.vanished = Counter(
            "porthole_exporter_vanished_containers",
            "Containers that stopped between discovery and a scrape (left out of that scrape)",
            registry=self.registry,
        )
        self.discovery_errors = Counter(
            "porthole_exporter_discovery_errors",
            "Failures to list, inspect or follow containers over the Engine API",
            ["stage"],
            registry=self.registry,
        )
        self._log_throttle = LogThrottle()

    def read_failed(self, errors: Iterable[ReadError]) -> None:
        for error in errors:
            self.read_errors.labels(error.path.name).inc()
            self._log(error.path.name, error.message)

    def discovery_failed(self, stage: str, message: str) -> None:
        self.discovery_errors.labels(stage).inc()
        self._log("discovery:" + stage, message)

    def _log(self, key: str, message: str) -> None:
        if self._log_throttle.due(key):
            log.warning("%s (further failures of this kind are counted, and logged at most once a minute)", message)
