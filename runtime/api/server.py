"""The Engine API server: threaded HTTP/1.1 on unix sockets (and tcp), every request routed, every error
mapped in one place, Docker's headers on every response."""

import logging
import os
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from runtime.api.errors import error_response
from runtime.api.http import Json, Request
from runtime.api.router import Router, split_version

API_VERSION = "1.47"
MIN_API_VERSION = "1.24"
SERVER = "Porthole/0.1.0 (linux)"

log = logging.getLogger("porthole.api")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


class EngineHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER
    sys_version = ""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's signature
        log.debug("%s " + format, self.client_address or "-", *args)

    def address_string(self) -> str:
        return "unix" if isinstance(self.client_address, (str, bytes)) else super().address_string()

    def handle(self) -> None:
        try:
            super().handle()
        except ConnectionResetError:
            # a client that resets its idle keep-alive connection (the docker CLI does) ends it, no more
            self.close_connection = True

    def _dispatch(self) -> None:
        started = time.monotonic()
        raw_path, _, query = self.path.partition("?")
        path, version = split_version(raw_path)
        req = Request.parse(self, path, version, query)
        status = 500
        try:
            if version and _version_tuple(version) < _version_tuple(MIN_API_VERSION):
                response = Json(
                    {
                        "message": f"client version {version} is too old. Minimum supported API version "
                        f"is {MIN_API_VERSION}, please upgrade your client to a newer version"
                    },
                    400,
                )
            else:
                match = self.server.router.match(self.command, path)  # type: ignore[attr-defined]
                if match is None:
                    response = Json({"message": "page not found"}, 404)
                else:
                    handler, params = match
                    try:
                        response = handler(req, **params)
                    except Exception as e:  # noqa: BLE001 - mapped to a status here, in one place
                        response = error_response(e, f"{self.command} {path}")
                        if response.status == 500 and not hasattr(e, "message"):
                            log.exception("%s %s failed", self.command, path)
                        elif response.status == 507:  # the operator's to act on, as the client's
                            log.warning("%s", response.body["message"])
            status = response.status
            if not self.close_connection:
                req.drain()
            response.send(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            observe = getattr(self.server, "observe", None)
            if observe is not None:
                observe(self.command, path, status, time.monotonic() - started)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch


class _Serving:
    router: Router
    common_headers: list[tuple[str, str]]
    observe: Callable[[str, str, int, float], None] | None
    daemon_threads = True
    block_on_close = False
    request_queue_size = 512  # the docker CLI sends one request per container at once (rm -f $(ps -aq))


class UnixServer(_Serving, socketserver.ThreadingUnixStreamServer):
    pass


class TcpServer(_Serving, socketserver.ThreadingTCPServer):
    allow_reuse_address = True


class ApiServer:
    def __init__(
        self, hosts: list[str], router: Router, observe: Callable[[str, str, int, float], None] | None = None
    ) -> None:
        self._servers: list[socketserver.BaseServer] = []
        headers = [
            ("Api-Version", API_VERSION),
            ("Ostype", "linux"),
            ("Docker-Experimental", "false"),
            ("Cache-Control", "no-cache, no-store, must-revalidate"),
            ("Pragma", "no-cache"),
        ]
        for host in hosts:
            server = self._bind(host)
            server.router = router
            server.common_headers = headers
            server.observe = observe
            self._servers.append(server)
        self._threads: list[threading.Thread] = []

    @staticmethod
    def _bind(host: str) -> socketserver.BaseServer:
        scheme, _, address = host.partition("://")
        if scheme == "unix":
            path = Path(address)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_socket():
                path.unlink()
            server = UnixServer(str(path), EngineHandler)
            os.chmod(path, 0o660)
            return server
        if scheme == "tcp":
            hostname, _, port = address.rpartition(":")
            return TcpServer((hostname or "127.0.0.1", int(port)), EngineHandler)
        raise ValueError(f"porthole: unsupported --host {host!r}: use unix:///path or tcp://host:port")

    def start(self) -> None:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, name="api", daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
            if isinstance(server, UnixServer):
                Path(server.server_address).unlink(missing_ok=True)
