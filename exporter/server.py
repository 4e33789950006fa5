"""A small HTTP server for /metrics whose body is the concatenation of several renderers' text.

prometheus_client's start_http_server serves one registry through generate_latest; the container series
are written by exporter/exposition.py instead, and the daemon adds its engine registry in front of them, so
the body is assembled here. The body is sent uncompressed: Prometheus scrapes over a local network, and
gzip would cost more CPU than writing the text.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from exporter.errors import InvalidOption
from exporter.exposition import CONTENT_TYPE

log = logging.getLogger("porthole.exporter")

Renderer = Callable[[], bytes]

_INDEX = b'<html><head><title>porthole metrics</title></head><body><a href="/metrics">Metrics</a></body></html>\n'


def parse_listen(text: str, option: str = "--listen", component: str = "exporter") -> tuple[str, int]:
    """HOST:PORT, [v6]:PORT or :PORT (every interface) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InvalidOption(f"{component}: invalid {option} {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9338")
    return host.strip("[]") or "0.0.0.0", int(port)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        path = self.path.partition("?")[0]
        if path == "/metrics":
            try:
                body = b"".join(render() for render in self.server.renderers)
            except Exception:  # noqa: BLE001 - a bug in a renderer answers 500, the server keeps serving
                log.exception("exporter: rendering /metrics failed")
                self._send(500, b"exporter: rendering the metrics failed; see the log\n", "text/plain")
                return
            self._send(200, body, CONTENT_TYPE)
        elif path == "/":
            self._send(200, _INDEX, "text/html")
        else:
            self._send(404, b"not found: try /metrics\n", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's signature
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    renderers: Sequence[Renderer]


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """Serves GET /metrics on `listen` (HOST:PORT; port 0 picks a free one) in a thread of its own. The
    socket is bound at construction, so a bad or busy address fails before anything else starts; `option`
    and `component` name the flag and the program in that error."""

    def __init__(
        self, listen: str, renderers: Sequence[Renderer], *, option: str = "--listen", component: str = "exporter"
    ) -> None:
        host, port = parse_listen(listen, option, component)
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = server_class((host, port), _Handler)
        except OSError as e:
            raise InvalidOption(f"{component}: cannot listen on {option} {listen!r}: {e.strerror or e}") from None
        self._server.renderers = renderers
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-http", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
