"""The exporter: every target a source finds, plus the host's root group, read once per scrape and written
as cAdvisor's metrics.

    metrics = ExporterMetrics()
    watcher = ContainerWatcher(docker.APIClient(base_url=...), component="exporter", on_error=metrics.discovery_failed)
    exporter = ContainerExporter(watcher, metrics)
    watcher.start()               # the source first: the exporter measures the layers of what it found
    exporter.start()
    body = exporter.render()      # the /metrics body
    exporter.close()
    watcher.close()
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import generate_latest

from exporter.container_metrics import CONTAINER_METRICS
from exporter.exposition import MetricSpec, Renderer, base_labels, escape
from exporter.layers import LayerUsage
from exporter.machine import MachineIdentity, machine_text
from exporter.readers.cgroup import root_cgroup_paths
from exporter.readers.devices import SYS_ROOT, DeviceNames
from exporter.readers.paths import CGROUP_ROOT, PROC_ROOT
from exporter.self_metrics import ExporterMetrics
from exporter.snapshot import take_snapshot
from exporter.targets import Target, TargetSource

FS_INTERVAL_SECONDS = 60.0  # cAdvisor's disk usage period


class ContainerExporter:
    def __init__(
        self,
        source: TargetSource,
        metrics: ExporterMetrics,
        *,
        fs_interval: float = FS_INTERVAL_SECONDS,
        cgroup_root: Path = CGROUP_ROOT,
        proc_root: Path = PROC_ROOT,
        sys_root: Path = SYS_ROOT,
        identity: MachineIdentity | None = None,
        specs: Sequence[MetricSpec] = CONTAINER_METRICS,
        host: str | None = None,
    ) -> None:
        """`host` labels every series (default: the hostname), so that each says which machine it is from
        wherever it ends up: a Prometheus scraping many hosts, a federation, a remote write."""
        self.metrics = metrics
        self._source = source
        self._proc_root = proc_root
        self._specs = specs
        self._root = Target(id="/", paths=root_cgroup_paths(cgroup_root), pid=1, upper_dir="/", root=True)
        self._devices = DeviceNames(sys_root)
        self._layers = LayerUsage(self._directories, self._devices, fs_interval, metrics.read_failed)
        self._identity = identity if identity is not None else MachineIdentity.read()
        self._renderer = Renderer()
        self._host = host if host is not None else socket.gethostname()
        self._host_label = f'host="{escape(self._host)}",'
        # (the source's tuple, its (label text, target) pairs with the root first): rebuilt when it changes
        self._prepared: tuple[tuple[Target, ...] | None, list[tuple[str, Target]]] = (None, [])

    def start(self) -> None:
        """Measure the writable layers, now and then every fs_interval; call once the source has its targets."""
        self._layers.measure_due()  # the first scrape already has the usage of every writable layer
        self._layers.start()

    def close(self) -> None:
        self._layers.close()

    def render(self) -> bytes:
        """The /metrics body: the container series, the machine's, then the exporter's own."""
        started = time.perf_counter()
        snapshot = take_snapshot(
            self._prepare(), filesystems=self._layers.usage, devices=self._devices, proc_root=self._proc_root
        )
        if snapshot.vanished:
            self._source.stale()
            self.metrics.vanished.inc(snapshot.vanished)
        self.metrics.read_failed(snapshot.errors)
        self.metrics.scrape_error.set(1 if snapshot.errors else 0)
        self.metrics.containers.set(len(snapshot.rows))
        out: list[str] = []
        for spec in self._specs:
            self._renderer.family(spec, snapshot.rows, out)
        out.append(machine_text(snapshot.host, self._identity, self._host))
        body = "".join(out).encode()
        self.metrics.scrape_seconds.observe(time.perf_counter() - started)
        return body + generate_latest(self.metrics.registry)

    def _prepare(self) -> list[tuple[str, Target]]:
        targets = self._source.targets()
        prepared_for, prepared = self._prepared
        if targets is not prepared_for:
            everything = (self._root, *targets)
            labels = (self._host_label + text for text in base_labels(everything))
            prepared = list(zip(labels, everything, strict=True))
            self._prepared = (targets, prepared)
        return prepared

    def _directories(self) -> list[str]:
        return [t.upper_dir for t in (self._root, *self._source.targets()) if t.upper_dir]
