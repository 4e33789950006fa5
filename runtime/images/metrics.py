"""Counters of builds, pulls and pushes, for the engine's metrics on --metrics-addr (a Collector the command
room hands to EngineMetrics): build step durations by instruction, cache hits and misses, context bytes; bytes,
durations and errors of pulls and pushes by registry (bytes: the layer blobs' as on the wire, compressed, for
both directions, so a push and a pull of the same image count the same)."""

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector

STEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class ImageMetrics(Collector):
    def __init__(self) -> None:
        self._registry = CollectorRegistry(auto_describe=True)
        self.build_steps = Histogram(
            "porthole_build_step_duration_seconds",
            "Time of each build step that ran (cache misses), by instruction",
            ["instruction"],
            buckets=STEP_BUCKETS,
            registry=self._registry,
        )
        self.cache = Counter(
            "porthole_build_cache_lookups",
            "Build steps looked up in the layer cache, by result",
            ["result"],
            registry=self._registry,
        )
        self.context_bytes = Counter(
            "porthole_build_context_bytes", "Bytes of build context received", registry=self._registry
        )
        self.transfer_bytes = Counter(
            "porthole_registry_layer_bytes",
            "Layer blob bytes moved as they cross the wire (compressed), by registry and direction (pull, push)",
            ["registry", "direction"],
            registry=self._registry,
        )
        self.transfer_seconds = Histogram(
            "porthole_registry_transfer_duration_seconds",
            "Time of whole pulls and pushes, by registry and direction",
            ["registry", "direction"],
            buckets=STEP_BUCKETS,
            registry=self._registry,
        )
        self.transfer_errors = Counter(
            "porthole_registry_errors",
            "Pulls and pushes that failed, by registry and direction",
            ["registry", "direction"],
            registry=self._registry,
        )

    def collect(self):
        yield from self._registry.collect()

    def describe(self):
        return list(self._registry.collect())
