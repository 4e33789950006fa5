"""`porthole web` (and `python -m web.main`): serve the dashboard for the containers of an Engine API
endpoint, porthole's or Docker's, with waitress.

    python -m web.main -H unix:///run/porthole/porthole.sock --listen 127.0.0.1:8080

The porthole CLI adds its global -H as `args.host`, then calls add_arguments() and run().
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from waitress.server import create_server

from web import create_app
from web.errors import WebError
from web.monitor import EXTENSION, Monitor
from web.settings import ListenAddress, ServingOptions, serving_options

DEFAULT_HOST = "unix:///run/porthole/porthole.sock"
DEFAULT_LISTEN = "127.0.0.1:8080"
TOKEN_ENV = "PORTHOLE_WEB_TOKEN"

log = logging.getLogger("porthole.web")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"address to serve the dashboard on (default {DEFAULT_LISTEN}; anything but loopback needs a token)",
    )
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token", help=f"the token to log in with (visible to `ps`: prefer --token-file or ${TOKEN_ENV})"
    )
    token.add_argument("--token-file", type=Path, metavar="PATH", help="read the token from this file")
    parser.add_argument(
        "--enable-controls",
        action="store_true",
        help="offer stop, restart, pause and unpause on container pages (needs a token)",
    )
    parser.add_argument(
        "--history-minutes",
        type=_positive_number,
        default=16,
        metavar="MINUTES",
        help="how much 1-second history to keep per container (default 16)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="requests served at once; each open log viewer holds one (default 16)",
    )


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a number above 0")
    return value


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            return args.token_file.read_text().strip() or None
        except OSError as e:
            raise WebError(f"web: cannot read --token-file {args.token_file}: {e.strerror}") from e
    return args.token or os.environ.get(TOKEN_ENV) or None


class Dashboard:
    """The app, its monitor and its waitress server, bound: serve() serves until close(), from any thread."""

    def __init__(self, server: Any, monitor: Monitor, address: ListenAddress, sockets: dict) -> None:
        self.server = server
        self.monitor = monitor
        self.address = address  # the port the server got (a requested port 0 picks a free one)
        self._sockets = sockets  # waitress's socket map: the listener, its trigger and every connection
        self._serving = threading.Event()
        self._closed = threading.Event()

    def serve(self) -> None:
        self._serving.set()
        try:
            self.server.run()
        finally:
            self._serving.clear()

    def close(self) -> None:
        """Closing every socket of the map, open log streams included, ends serve(); closing the listener
        alone would leave it serving the open connections. While it serves, the closing runs in its own
        thread (through waitress's trigger), so no connection accepted meanwhile escapes it."""
        if self._serving.is_set():
            self.server.trigger.pull_trigger(self._close_sockets)
            self._closed.wait(5)
        else:
            self._close_sockets()
        self.server.task_dispatcher.shutdown(timeout=1)
        self.monitor.close()

    def _close_sockets(self) -> None:
        for dispatcher in list(self._sockets.values()):
            dispatcher.close()
        self._closed.set()


def build_dashboard(
    engine_url: str, options: ServingOptions, *, history_minutes: float = 16, threads: int = 16
) -> Dashboard:
    """The dashboard for `engine_url`, its monitor started and its socket bound; `server.run()` serves.
    For `porthole web` and for embedding (`porthole daemon --web`). :raise OSError: the address is taken."""
    app = create_app(
        {
            "ENGINE_URL": engine_url,
            "TOKEN": options.token,
            "CONTROLS": options.controls,
            "HISTORY_SECONDS": history_minutes * 60,
        }
    )
    monitor: Monitor = app.extensions[EXTENSION]
    sockets: dict = {}
    try:
        server = create_server(
            app, map=sockets, host=options.listen.host, port=options.listen.port, threads=threads, ident="porthole"
        )
    except OSError:
        monitor.close()
        raise
    return Dashboard(server, monitor, ListenAddress(options.listen.host, int(server.effective_port)), sockets)


class _Stop(Exception):
    """Raised by the signal handler to leave waitress's loop."""


def _stop(signum: int, frame: object) -> None:
    raise _Stop(signum)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT. `args.host` is the Engine API (None: $DOCKER_HOST, else porthole's)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = getattr(args, "host", None) or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    try:
        options = serving_options(args.listen, _token(args), args.enable_controls)
        dashboard = build_dashboard(host, options, history_minutes=args.history_minutes, threads=args.threads)
    except WebError as e:
        print(e, file=sys.stderr)
        return 2
    except OSError as e:
        print(f"web: cannot listen on {args.listen}: {e.strerror}", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    # the first line on stdout says where it listens (a --listen port 0 picks a free one)
    print(f"web: serving http://{dashboard.address}/ for the containers of {host}", flush=True)
    try:
        dashboard.serve()
    except _Stop:
        log.info("web: stopping")
    finally:
        dashboard.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m web.main", description="Serve porthole's dashboard for an Engine API endpoint."
    )
    parser.add_argument("-H", "--host", help=f"Engine API to show (default $DOCKER_HOST, else {DEFAULT_HOST})")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
