"""The app's side: the latest report of each host (its own probe's and those POSTed by other hosts'
probes), merged into one map, and a few minutes of each node's CPU and memory for the sparklines.

Scope merged every report of a 15 s window, so a removed container lingered for 15 s. Here a host's new
report replaces its last one, and a host that stops reporting is dropped after `window` seconds: the map
shows what the newest report of each host says. Graphs are rendered once per change and cached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from web.topology.addresses import AddressBook
from web.topology.joining import Connection, connections
from web.topology.probe import Probe
from web.topology.render import TOPOLOGIES, Graph, Inventory, inventory, render
from web.topology.report import Report

log = logging.getLogger("porthole.web.topology")

_RECORD_EVERY = 1.0  # seconds between two samples of the history, however many hosts report


class Collector:
    def __init__(self, *, window: float = 15.0, history: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        self.window = window
        self._history_seconds = history
        self._clock = clock
        self._lock = threading.Lock()
        self._reports: dict[str, Report] = {}  # host id -> its newest report
        self._received: dict[str, float] = {}  # host id -> when (our clock: a host's may be off)
        self._samples: dict[tuple[str, str], deque[tuple[float, float]]] = {}
        self._cache: tuple[Inventory, list[Connection], dict[str, Graph]] | None = None
        self.generation = 0  # bumped by every change: the browser asks "anything newer?"
        self._recorded_at = -_RECORD_EVERY

    def add(self, report: Report) -> None:
        """A host's newest report; an older one than the last it sent is ignored."""
        with self._lock:
            last = self._reports.get(report.host.id)
            if last is not None and last.timestamp > report.timestamp:
                return
            self._reports[report.host.id] = report
            self._received[report.host.id] = self._clock()
            self._changed()
            now = self._clock()
            if now - self._recorded_at >= _RECORD_EVERY:
                self._record(now)

    def reports(self) -> list[Report]:
        with self._lock:
            self._expire()
            return list(self._reports.values())

    def probes(self) -> list[dict]:
        """Who reported, when, and how much."""
        now = self._clock()
        return [
            {
                "host": r.host.id,
                "probe_id": r.probe_id,
                "age_seconds": round(now - self._received[r.host.id], 3),
                "containers": len(r.containers),
                "processes": len(r.processes),
                "connections": len(r.endpoints),
            }
            for r in self.reports()
        ]

    def graph(self, topology: str) -> Graph:
        return self._rendered()[2][topology]

    def connections(self) -> list[Connection]:
        return self._rendered()[1]

    def samples(self, node_id: str, metric: str) -> list[tuple[float, float]]:
        with self._lock:
            return list(self._samples.get((node_id, metric), ()))

    def _rendered(self) -> tuple[Inventory, list[Connection], dict[str, Graph]]:
        with self._lock:
            self._expire()
            if self._cache is None:
                self._cache = self._render(self._clock())
            return self._cache

    def _render(self, now: float) -> tuple[Inventory, list[Connection], dict[str, Graph]]:
        reports = list(self._reports.values())
        inv = inventory(reports, now)
        found = connections(reports, AddressBook(reports))
        return inv, found, {topology: render(topology, inv, found) for topology in TOPOLOGIES}

    def _changed(self) -> None:
        self._cache = None
        self.generation += 1

    def _expire(self) -> None:
        cutoff = self._clock() - self.window
        gone = [host for host, at in self._received.items() if at < cutoff]
        for host in gone:
            log.info("topology: host %s sent no report for %.0f s: dropped from the map", host, self.window)
            del self._reports[host], self._received[host]
        if gone:
            self._changed()

    def _record(self, t: float) -> None:
        """Every node's metrics at t into its history; the history of nodes gone from the map is dropped.
        A host's values stand until its next report, so with several hosts a sample may repeat one."""
        self._recorded_at = t
        self._cache = self._render(self._clock())
        inv = self._cache[0]
        seen = set()
        cutoff = t - self._history_seconds
        for nodes in (inv.containers, inv.images, inv.processes, inv.hosts):
            for node_id, node in nodes.items():
                for metric, value in node.metrics.items():
                    key = (node_id, metric)
                    seen.add(key)
                    if value is None:
                        continue
                    kept = self._samples.get(key)
                    if kept is None:
                        kept = self._samples[key] = deque()
                    kept.append((t, value))
                    while kept[0][0] < cutoff:
                        kept.popleft()
        self._samples = {key: kept for key, kept in self._samples.items() if key in seen}


class LocalProbe:
    """The app's own probe, reporting its host into the collector every `interval` seconds."""

    def __init__(self, probe: Probe, collector: Collector, interval: float = 3.0) -> None:
        self.probe = probe
        self.interval = interval
        self._collector = collector
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_duration = 0.0  # CPU seconds the last report took

    def report_once(self) -> None:
        started = time.thread_time()
        self._collector.add(self.probe.report())
        self.last_duration = time.thread_time() - started

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="topology-probe", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.report_once()
            except Exception:  # noqa: BLE001 - one failed report must not end the map's updates for good
                log.exception("topology: the probe failed")
