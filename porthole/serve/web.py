"""`porthole web` (and `python -m porthole.serve.web`): serve the dashboard for the containers of an Engine API
endpoint, porthole's or Docker's, with waitress.

    python -m porthole.serve.web -H unix:///run/porthole/porthole.sock --listen 127.0.0.1:8080

The porthole CLI adds its global -H as `args.host`, then calls add_arguments() and run().
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from porthole.serve.options import positive
from porthole.serve.stopping import StopSignals
from web.errors import WebError
from web.serving import TOKEN_ENV, build_dashboard
from web.settings import serving_options, tls_files

DEFAULT_HOST = "unix:///run/porthole/porthole.sock"
DEFAULT_LISTEN = "127.0.0.1:8080"

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
        type=positive("a number"),
        default=16,
        metavar="MINUTES",
        help="how much 1-second history to keep per container (default 16)",
    )
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (with --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's private key")
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="requests served at once; each open log viewer holds one (default 16)",
    )


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            return args.token_file.read_text().strip() or None
        except OSError as e:
            raise WebError(f"web: cannot read --token-file {args.token_file}: {e.strerror}") from e
    return args.token or os.environ.get(TOKEN_ENV) or None


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT. `args.host` is the Engine API (None: $DOCKER_HOST, else porthole's)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = getattr(args, "host", None) or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    try:
        options = serving_options(
            args.listen, _token(args), args.enable_controls, tls_files(args.tls_cert, args.tls_key)
        )
        dashboard = build_dashboard(host, options, history_minutes=args.history_minutes, threads=args.threads)
    except WebError as e:
        print(e, file=sys.stderr)
        return 2
    except OSError as e:
        print(f"web: cannot listen on {args.listen}: {e.strerror}", file=sys.stderr)
        return 2
    # The server runs in a thread and the main thread waits for the signal, as under `porthole daemon --web`: an
    # exception raised from a signal handler lands wherever the server happens to be, and waitress's error
    # handling swallowed one (the server then served on until it was killed).
    stopping = StopSignals()
    serving = threading.Thread(target=dashboard.serve, name="web")
    serving.start()
    # the first line on stdout says where it listens (a --listen port 0 picks a free one)
    scheme = "https" if options.tls else "http"
    print(f"web: serving {scheme}://{dashboard.address}/ for the containers of {host}", flush=True)
    stopping.wait()
    log.info("web: stopping")
    dashboard.close()
    serving.join()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m porthole.serve.web", description="Serve porthole's dashboard for an Engine API endpoint."
    )
    parser.add_argument("-H", "--host", help=f"Engine API to show (default $DOCKER_HOST, else {DEFAULT_HOST})")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
