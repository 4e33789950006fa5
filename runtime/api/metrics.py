"""The engine's own metrics, in an explicit registry: Engine API requests by route and status with their
latency, container lifecycle counts taken from the event bus, containers by state, the counter files `docker
stats` could not read, and the daemon process's CPU and memory. `render()` writes them in Prometheus' text
format; the command room serves them on `--metrics-addr` (porthole/serve/metrics.py), with the containers'
cAdvisor metrics under `--exporter`.

Other rooms' counters come in as `collectors` (the daemon passes the logging pipeline's, porthole_log_*).
"""

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.api.router import Router
from runtime.engine.events import EventBus
from runtime.engine.model import CREATED, DEAD, EXITED, PAUSED, REMOVING, RESTARTING, RUNNING

STATES = (CREATED, RUNNING, PAUSED, RESTARTING, EXITED, DEAD, REMOVING)
# Requests that match no route are counted under one label, so probing clients cannot grow the registry.
UNMATCHED_ROUTE = "other"
COUNTED_ACTIONS = frozenset({"start", "die", "oom", "restart", "destroy"})  # what _count reads
# Streaming routes (logs -f, attach, events, stats) are observed when the stream ends.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def route_template(pattern: str) -> str:
    """A route's regular expression as a label: ^/containers/(?P<ref>[^/]+)/json$ -> /containers/{ref}/json."""
    return _NAMED_GROUP.sub(r"{\1}", pattern).removeprefix("^").removesuffix("$")


class _ContainerStates(Collector):
    """porthole_containers{state}: counted from the engine's store at each scrape, every state present."""

    def __init__(self, states: Callable[[], Iterable[str]]) -> None:
        self._states = states

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("porthole_containers", "Containers known to the engine, by state", labels=["state"])

    def collect(self):
        counts = dict.fromkeys(STATES, 0)
        for state in self._states():
            counts[state] = counts.get(state, 0) + 1
        family = self._family()
        for state, count in counts.items():
            family.add_metric([state], count)
        yield family

    def describe(self):
        return [self._family()]


class _StatsReadErrors(Collector):
    """porthole_stats_read_errors_total: read at each scrape from the engine's stats reader."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    @staticmethod
    def _family(value: float | None = None) -> CounterMetricFamily:
        return CounterMetricFamily(
            "porthole_stats_read_errors",
            "Counter files (cgroupfs, /proc) that `docker stats` could not read or parse; their values were left out",
            value=value,
        )

    def collect(self):
        yield self._family(self._count())


class DeferredWorkCollector(Collector):
    """porthole_engine_deferred_work{kind}: records and cleanups the host refused (a full disk) and the engine
    retries every second (runtime.engine.deferred); every kind present, so a board shows 0 rather than nothing."""

    KINDS = ("state", "config", "cgroup", "network", "layers", "ipam")

    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "porthole_engine_deferred_work",
            "Container records and cleanups the host refused (a full disk), waiting for their retry, by kind",
            labels=["kind"],
        )

    def collect(self):
        counts = self._counts()
        family = self._family()
        for kind in (*self.KINDS, *sorted(set(counts) - set(self.KINDS))):
            family.add_metric([kind], counts.get(kind, 0))
        yield family

    def describe(self):
        return [self._family()]


class EngineMetrics:
    """Counts events from construction on (what restore() starts is counted too); start() follows them in a
    thread of its own. `stats_read_errors` is the engine's count of unread stats files; `collectors` join the
    registry."""

    def __init__(
        self,
        events: EventBus,
        container_states: Callable[[], Iterable[str]],
        router: Router,
        *,
        stats_read_errors: Callable[[], int] | None = None,
        collectors: Iterable[Collector] = (),
    ) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.registry.register(_ContainerStates(container_states))
        if stats_read_errors is not None:
            self.registry.register(_StatsReadErrors(stats_read_errors))
        for collector in collectors:  # other rooms' counters: the logging pipeline's
            self.registry.register(collector)
        self._requests = Counter(
            "porthole_api_requests",
            "Engine API requests, by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "porthole_api_request_duration_seconds",
            "Time from a request's arrival to its response's end, by method and route",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._starts = Counter(
            "porthole_container_starts", "Container starts (restarts included)", registry=self.registry
        )
        self._exits = Counter(
            "porthole_container_exits", "Container exits, by exit code", ["exit_code"], registry=self.registry
        )
        self._oom_kills = Counter(
            "porthole_container_oom_kills",
            "Containers that exited after the kernel's OOM killer killed a process of theirs",
            registry=self.registry,
        )
        # By name, so that an alert can say which container loops; a name's series goes when it is removed.
        self._restarts = Counter(
            "porthole_container_restarts",
            "Container restarts (by the restart policy or `docker restart`), by container name",
            ["name"],
            registry=self.registry,
        )
        templates = [(r.method, r.pattern, route_template(r.pattern.pattern)) for r in router.routes]

        @functools.lru_cache(maxsize=4096)
        def route_of(method: str, path: str) -> str:
            for route_method, pattern, template in templates:
                if (route_method == method or (method == "HEAD" and route_method == "GET")) and pattern.match(path):
                    return template
            return UNMATCHED_ROUTE

        self._route_of = route_of
        # from now: what restore() starts is counted too
        _, self._subscription = events.subscribe(None, actions=COUNTED_ACTIONS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._count_events, name="metrics-events", daemon=True)

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        """The API server's hook, called once per request."""
        route = self._route_of(method, path)
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    def start(self) -> None:
        """Follow the event bus."""
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._subscription.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _count_events(self) -> None:
        while not self._stop.is_set():
            event = self._subscription.next(timeout=0.5)
            if event is not None:
                self._count(event.type, event.action, event.attributes)

    def _count(self, type_: str, action: str, attributes: Mapping[str, str]) -> None:
        if type_ != "container":
            return
        if action == "start":
            self._starts.inc()
        elif action == "die":
            self._exits.labels(attributes.get("exitCode", "unknown")).inc()
        elif action == "oom":
            self._oom_kills.inc()
        elif action == "restart":
            self._restarts.labels(attributes.get("name", "")).inc()
        elif action == "destroy":
            self._restarts.remove(attributes.get("name", ""))
