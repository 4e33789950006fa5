"""`porthole daemon --metrics-addr HOST:PORT`: one /metrics with the engine's own registry and, under
`--exporter`, the containers' cAdvisor metrics, discovered over the daemon's own API."""

from __future__ import annotations

import docker

from exporter.collector import ContainerExporter, engine_exporter
from exporter.server import MetricsServer
from runtime.api.metrics import EngineMetrics
from runtime.api.server import API_VERSION


class DaemonMetrics:
    """Binds `addr` at construction (raising exporter.errors.InvalidOption if it cannot) and serves once
    started. `exporter_host` (the daemon's own API) adds the containers' metrics."""

    def __init__(self, engine: EngineMetrics, addr: str, *, exporter_host: str | None = None) -> None:
        self._engine = engine
        renderers = [engine.render]
        self._server = MetricsServer(addr, renderers, option="--metrics-addr", component="porthole daemon")
        self._exporter: ContainerExporter | None = None
        self._exporter_client: docker.DockerClient | None = None
        if exporter_host is not None:
            # A fixed API version: "auto" would ask the daemon, whose API is not serving yet.
            self._exporter_client = docker.DockerClient(base_url=exporter_host, version=API_VERSION, timeout=30)
            self._exporter = engine_exporter(self._exporter_client)
            renderers.append(self._exporter.render)  # the server serves this very list

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> None:
        """Serve /metrics; call once the API serves (the exporter discovers containers through it)."""
        self._engine.start()
        if self._exporter is not None:
            self._exporter.start()
        self._server.start()

    def close(self) -> None:
        self._engine.close()
        self._server.close()
        if self._exporter is not None:
            self._exporter.close()
        if self._exporter_client is not None:
            self._exporter_client.close()
