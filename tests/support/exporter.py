"""Shared by the exporter's integration tests (no tests here): a daemon that serves --metrics-addr with
--exporter, the standalone exporter as its own process, and scraping."""

import contextlib
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.daemon import REPO, START_TIMEOUT, TestDaemon, running, wait_for

Samples = list[tuple[str, dict[str, str], float]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MetricsDaemon(TestDaemon):
    """A test daemon started with --metrics-addr on a free loopback port and --exporter."""

    metrics_port: int = 0

    def start(self) -> None:
        self.metrics_port = free_port()
        self.extra_args = ("--metrics-addr", f"127.0.0.1:{self.metrics_port}", "--exporter")
        super().start()
        wait_for(lambda: get(self.metrics_port) is not None, START_TIMEOUT, what="the daemon's /metrics")


@contextlib.contextmanager
def metrics_daemon(root: Path, busybox_rootfs: Path) -> Iterator[MetricsDaemon]:
    with running(MetricsDaemon(root), busybox_rootfs) as d:
        yield d


@contextlib.contextmanager
def exporter_process(host: str, log_path: Path, *extra: str) -> Iterator[int]:
    """`python -m porthole.serve.exporter -H host --listen 127.0.0.1:<port>`; yields the port, stops it after."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "porthole.serve.exporter", "-H", host, "--listen", f"127.0.0.1:{port}", *extra],
            stdout=log,
            stderr=log,
            cwd=REPO,
        )
    try:
        wait_for(
            lambda: process.poll() is None and get(port) is not None,
            START_TIMEOUT,
            what=f"the exporter on port {port} (log: {log_path})",
        )
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# loopback only: never through a proxy the environment may name
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(port: int, path: str = "/metrics") -> bytes | None:
    try:
        with _OPENER.open(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.read()
    except OSError:
        return None


def scrape(port: int) -> Samples:
    body = get(port)
    assert body is not None, f"nothing answers on 127.0.0.1:{port}/metrics"
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    ]


def values(samples: Samples, metric: str, /, **labels: str) -> list[float]:
    return [v for n, lab, v in samples if n == metric and all(lab.get(k) == w for k, w in labels.items())]


def value(samples: Samples, metric: str, /, **labels: str) -> float | None:
    """The one sample of `metric` with `labels`, or None; more than one is an error of the test."""
    found = values(samples, metric, **labels)
    assert len(found) <= 1, f"{len(found)} samples of {metric} {labels}"
    return found[0] if found else None


def scrape_until(port: int, holds, what: str, timeout: float = 10.0) -> Samples:
    """Scrape until `holds(samples)` is true; return that scrape."""

    def attempt():
        samples = scrape(port)
        return samples if holds(samples) else None

    return wait_for(attempt, timeout=timeout, what=what)
