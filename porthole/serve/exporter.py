"""`porthole exporter` (and `python -m porthole.serve.exporter`): serve cAdvisor's container metrics on --listen for
the containers of an Engine API endpoint, porthole's or Docker's.

    python -m porthole.serve.exporter -H unix:///run/porthole/porthole.sock --listen 127.0.0.1:9338

The porthole CLI adds its global -H as `args.host`, then calls add_arguments() and run().
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

import docker
from prometheus_client import ProcessCollector

from exporter.container_exporter import FS_INTERVAL_SECONDS, ContainerExporter
from exporter.errors import InvalidOption
from exporter.self_metrics import ExporterMetrics
from exporter.server import MetricsServer, parse_listen
from exporter.watcher import ContainerWatcher
from porthole.serve.options import positive
from porthole.serve.stopping import StopSignals

DEFAULT_HOST = "unix:///run/porthole/porthole.sock"
DEFAULT_LISTEN = "127.0.0.1:9338"

log = logging.getLogger("porthole.exporter")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"address to serve /metrics on (default {DEFAULT_LISTEN})",
    )
    parser.add_argument(
        "--fs-interval",
        type=positive("a number of seconds"),
        default=FS_INTERVAL_SECONDS,
        metavar="SECONDS",
        help="how often a container's writable layer is measured (default 60, as cAdvisor)",
    )
    parser.add_argument(
        "--discovery-interval",
        type=positive("a number of seconds"),
        default=5.0,
        metavar="SECONDS",
        help="how often containers are listed while the events stream is down (default 5)",
    )
    parser.add_argument(
        "--host-label",
        default=socket.gethostname(),
        metavar="NAME",
        help="the `host` label of every container and machine series (default: the hostname, as a cluster "
        "daemon names itself)",
    )


class EngineExporter:
    """`porthole exporter`'s parts, started and closed together: a container watcher over the Engine API at
    `client` (docker-py's), and the exporter of what it finds."""

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        fs_interval: float = FS_INTERVAL_SECONDS,
        discovery_interval: float = 5.0,
        host_label: str | None = None,
    ) -> None:
        self.metrics = ExporterMetrics()
        self._client = client
        self._watcher = ContainerWatcher(
            client.api, component="exporter", on_error=self.metrics.discovery_failed, refresh_seconds=discovery_interval
        )
        self._exporter = ContainerExporter(self._watcher, self.metrics, fs_interval=fs_interval, host=host_label)

    def start(self) -> None:
        self._watcher.start()  # first: the exporter measures the writable layers of what it found
        self._exporter.start()

    def render(self) -> bytes:
        return self._exporter.render()

    def close(self) -> None:
        self._exporter.close()
        self._watcher.close()
        self._client.close()


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT. `args.host` is the Engine API (None: $DOCKER_HOST, else porthole's)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = getattr(args, "host", None) or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    try:
        parse_listen(args.listen)
        client = docker.DockerClient(base_url=host, timeout=30)
    except (InvalidOption, docker.errors.DockerException) as e:
        print(e if isinstance(e, InvalidOption) else f"exporter: invalid -H {host!r}: {e}", file=sys.stderr)
        return 2
    exporter = EngineExporter(
        client, fs_interval=args.fs_interval, discovery_interval=args.discovery_interval, host_label=args.host_label
    )
    ProcessCollector(registry=exporter.metrics.registry)  # the exporter's own CPU and memory
    try:
        server = MetricsServer(args.listen, [exporter.render])
    except InvalidOption as e:
        print(e, file=sys.stderr)
        exporter.close()
        return 2
    stopping = StopSignals()
    exporter.start()
    server.start()
    log.info("exporter: serving http://%s/metrics for the containers of %s", args.listen, host)
    stopping.wait()
    server.close()
    exporter.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m porthole.serve.exporter",
        description="Serve cAdvisor's container metrics for an Engine API endpoint.",
    )
    parser.add_argument(
        "-H", "--host", help=f"Engine API to discover containers on (default $DOCKER_HOST, else {DEFAULT_HOST})"
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
