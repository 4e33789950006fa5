"""`porthole daemon --metrics-addr HOST:PORT`: one /metrics with the engine's own registry and, under
`--exporter`, the containers' cAdvisor metrics, from the container watcher the daemon shares with --web."""

from __future__ import annotations

from exporter.container_exporter import ContainerExporter
from exporter.server import MetricsServer
from runtime.api.metrics import EngineMetrics


class DaemonMetrics:
    """Binds `addr` at construction (raising exporter.errors.InvalidOption if it cannot) and serves once
    started. `exporter` adds the containers' metrics; its source is started and closed by the daemon."""

    def __init__(self, engine: EngineMetrics, addr: str, *, exporter: ContainerExporter | None = None) -> None:
        self._engine = engine
        self._exporter = exporter
        renderers = [engine.render]
        if exporter is not None:
            renderers.append(exporter.render)
        self._server = MetricsServer(addr, renderers, option="--metrics-addr", component="porthole daemon")

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> None:
        """Serve /metrics; call once the exporter's source has its targets (it follows the daemon's own API)."""
        self._engine.start()
        if self._exporter is not None:
            self._exporter.start()
        self._server.start()

    def close(self) -> None:
        self._engine.close()
        self._server.close()
        if self._exporter is not None:
            self._exporter.close()
