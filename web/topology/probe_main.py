"""`python -m web.topology.probe_main`: a probe for a host of its own, POSTing its reports to the app
that draws the map (a `porthole web` on another host), as Scope's probes did.

    python -m web.topology.probe_main --app http://map-host:8080 --token-file /etc/porthole/web-token \\
        -H unix:///run/porthole/porthole.sock

The host's processes are those in the probe's network namespace, its containers those of the engine at -H
(--no-engine: the host's processes only). The parts are the dashboard's: a container watcher, and a sampler
(ticking once a report, its history two samples long) for the containers' and the host's CPU and memory. A
report that cannot be sent is dropped, not queued: the next one, a few seconds later, says everything again.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import os
import signal
import sys
import threading

import requests

from common.throttle import LogThrottle
from exporter.watcher import ContainerWatcher
from web.engine import connect
from web.history import HistoryStore
from web.sampler import Sampler
from web.topology.probe import Probe
from web.topology.report import encode_report
from web.topology.usage import MAP_CONTROLLERS

TOKEN_ENV = "PORTHOLE_WEB_TOKEN"
DEFAULT_ENGINE = "unix:///run/porthole/porthole.sock"

log = logging.getLogger("porthole.web.topology")


class ReportSender:
    def __init__(self, app_url: str, token: str | None, *, timeout: float = 10.0) -> None:
        self.url = app_url.rstrip("/") + "/api/report"
        self._session = requests.Session()
        self._session.headers["Content-Type"] = "application/json"
        self._session.headers["Content-Encoding"] = "gzip"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self.failures = 0
        self._log_throttle = LogThrottle()

    def send(self, body: bytes) -> bool:
        """True when the app took it; a failure is counted and logged once a minute."""
        try:
            response = self._session.post(self.url, data=gzip.compress(body, 1), timeout=self._timeout)
            if response.ok:
                return True
            why = f"{response.status_code} {response.text.strip()[:200]}"
        except requests.RequestException as e:
            why = str(e)
        self.failures += 1
        if self._log_throttle.due():
            log.warning("topology: cannot send a report to %s: %s (%d failed so far)", self.url, why, self.failures)
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m web.topology.probe_main", description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", required=True, metavar="URL", help="the map's app, e.g. http://map-host:8080")
    token = parser.add_mutually_exclusive_group()
    token.add_argument("--token-file", metavar="PATH", help=f"the app's token (else ${TOKEN_ENV})")
    token.add_argument("--token", help="the app's token (visible to `ps`: prefer --token-file)")
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument("-H", "--host", help=f"Engine API of this host (default $DOCKER_HOST, else {DEFAULT_ENGINE})")
    engine.add_argument("--no-engine", action="store_true", help="report the host's processes only")
    parser.add_argument("--host-id", help="this host's name on the map (default: the hostname)")
    parser.add_argument("--interval", type=float, default=3.0, metavar="SECONDS", help="between reports (default 3)")
    parser.add_argument("--once", action="store_true", help="send one report and exit (1 if it was refused)")
    return parser


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file:
        try:
            with open(args.token_file) as f:
                return f.read().strip() or None
        except OSError as e:
            raise SystemExit(f"topology: cannot read --token-file {args.token_file}: {e.strerror}") from e
    return args.token or os.environ.get(TOKEN_ENV) or None


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    if not args.interval > 0:
        print(f"topology: invalid --interval {args.interval}: expected a number of seconds above 0", file=sys.stderr)
        return 2
    watcher = None
    if not args.no_engine:
        watcher = ContainerWatcher(
            connect(args.host or os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE), component="topology"
        )
        watcher.refresh()  # the probe refreshes it at each report; this one is for the first sample
    sampler = Sampler(watcher, HistoryStore(capacity=2), interval=args.interval, controllers=MAP_CONTROLLERS)
    sampler.sample_once()  # the first report has the containers' memory (CPU needs two samples)
    probe = Probe(watcher, sampler, host_id=args.host_id)
    sender = ReportSender(args.app, _token(args))
    if args.once:
        return 0 if sender.send(encode_report(probe.report())) else 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"topology: reporting host {probe.host_id} to {sender.url} every {args.interval:g} s", flush=True)
    sampler.start()
    try:
        while not stop.is_set():
            sender.send(encode_report(probe.report()))
            stop.wait(args.interval)
    finally:
        sampler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
