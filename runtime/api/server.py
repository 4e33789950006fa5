"""The Engine API server: threaded HTTP/1.1 on unix sockets (and tcp), every request routed, every error
mapped in one place, Docker's headers on every response."""

import contextlib
import logging
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from runtime.api.errors import error_response, raised_on_purpose
from runtime.api.guard import HostCheck, body_length, refuse_web_pages
from runtime.api.http import Json, Request, Response
from runtime.api.listeners import (
    ListenError,
    ListenOptions,
    check_tcp,
    secure_socket_file,
    split_tcp,
    tls_context,
    tls_wrap,
)
from runtime.api.router import Router, split_version
from runtime.api.unsupported import unmatched
from runtime.errors import EngineError

API_VERSION = "1.47"
MIN_API_VERSION = "1.24"
SERVER = "Porthole/0.1.0 (linux)"
IDLE_TIMEOUT = 30.0  # seconds for a request's line and headers, and between requests on a kept-alive connection
BODY_TIMEOUT = 60.0  # seconds without progress while a request is read or its answer written
DRAIN_LIMIT = 1 << 20  # a refused request's body up to this is read to keep the connection; past it, closed
# How long a connection closed with its request's body unread stays half-open after the answer, its input read
# and thrown away: closed at once, the client's next write of the body fails (EPIPE) and Go's client reports
# that "broken pipe" instead of the answer (4 of 5 `docker import -c 'BOGUS x' big.tar`). Go's own server
# does the same (closeWriteAndWait).
LINGER_S = 1.0
# Connections served at once. Streams (attach, logs -f, events, stats) hold theirs for long; timeouts free
# those a slow or silent client holds.
MAX_CONNECTIONS = 256
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b'Content-Length: 56\r\n\r\n{"message": "porthole: too many connections, try again"}'
)

log = logging.getLogger("porthole.api")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


class EngineHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
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
        self.connection.settimeout(BODY_TIMEOUT)
        raw_path, _, query = self.path.partition("?")
        path, version = split_version(raw_path)
        req = Request.parse(self, path, version, query)
        status = 500
        try:
            try:
                self._guard(req)
            except EngineError as e:  # nothing of this connection can be trusted any more: answer, close
                self.close_connection = True
                response = error_response(e)
            else:
                response = self._route(req, version, path)
            status = response.status
            body_left_unread = status >= 400 and (req.length is None or req.length > DRAIN_LIMIT)
            if body_left_unread:
                self.close_connection = True  # not worth reading a large refused body to keep the connection
            if not self.close_connection:
                req.drain()
            response.send(self)
            if body_left_unread:
                self._linger()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        finally:
            if not self.close_connection:
                self.connection.settimeout(self.timeout)  # the next request's line and headers
            observe = getattr(self.server, "observe", None)
            if observe is not None:
                observe(self.command, path, status, time.monotonic() - started)

    def _linger(self) -> None:
        """Half-close after the answer and discard what the client still sends, until it closes or LINGER_S."""
        self.connection.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_S
        while (left := deadline - time.monotonic()) > 0:
            self.connection.settimeout(left)
            if not self.connection.recv(1 << 16):
                return

    def _guard(self, req: Request) -> None:
        req.length = body_length(self.headers)
        refuse_web_pages(self.headers)
        host_check = self.server.host_check  # type: ignore[attr-defined]
        if host_check is not None:
            host_check.check(self.headers.get("Host"), self.connection.getsockname()[0])

    def _route(self, req: Request, version: str, path: str) -> Response:
        if version and _version_tuple(version) < _version_tuple(MIN_API_VERSION):
            return Json(
                {
                    "message": f"client version {version} is too old. Minimum supported API version "
                    f"is {MIN_API_VERSION}, please upgrade your client to a newer version"
                },
                400,
            )
        match = self.server.router.match(self.command, path)  # type: ignore[attr-defined]
        if match is None:
            return error_response(unmatched(self.command, path))
        handler, params = match
        try:
            return handler(req, **params)
        except Exception as e:  # noqa: BLE001 - mapped to a status here, in one place
            response = error_response(e, f"{self.command} {path}")
            if response.status == 507:  # a full disk: the operator's to act on, as the client's
                log.warning("%s", response.body["message"])
            elif not raised_on_purpose(e):
                log.exception("%s %s failed", self.command, path)
            return response

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch


class _Serving:
    router: Router
    common_headers: list[tuple[str, str]]
    observe: Callable[[str, str, int, float], None] | None
    host_check: HostCheck | None = None  # TCP only: a unix socket's peers are local processes
    tls: ssl.SSLContext | None = None
    slots: threading.BoundedSemaphore
    daemon_threads = True
    block_on_close = False
    request_queue_size = 512  # the docker CLI sends one request per container at once (rm -f $(ps -aq))

    def process_request(self, request, client_address) -> None:
        """One thread per connection, up to MAX_CONNECTIONS: past that, a 503 at once, not another thread."""
        if not self.slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)  # type: ignore[misc]
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            if self.tls is not None:
                request.settimeout(EngineHandler.timeout)  # a handshake that never ends is a held thread
                request = tls_wrap(self.tls, request)
                if request is None:
                    return
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            self.slots.release()


class UnixServer(_Serving, socketserver.ThreadingUnixStreamServer):
    pass


class TcpServer(_Serving, socketserver.ThreadingTCPServer):
    allow_reuse_address = True


class ApiServer:
    def __init__(
        self,
        hosts: list[str],
        router: Router,
        observe: Callable[[str, str, int, float], None] | None = None,
        options: ListenOptions | None = None,
    ) -> None:
        """Binds every host or raises ListenError (nothing left bound)."""
        self.options = options or ListenOptions()
        self.warnings = [w for w in (self._check(host) for host in hosts) if w]
        self._servers: list[socketserver.BaseServer] = []
        headers = [
            ("Api-Version", API_VERSION),
            ("Ostype", "linux"),
            ("Docker-Experimental", "false"),
            ("Cache-Control", "no-cache, no-store, must-revalidate"),
            ("Pragma", "no-cache"),
        ]
        slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        try:
            for host in hosts:
                server = self._bind(host)
                server.router = router
                server.common_headers = headers
                server.observe = observe
                server.slots = slots
                self._servers.append(server)
        except BaseException:
            for server in self._servers:
                server.server_close()
            raise
        self._threads: list[threading.Thread] = []

    def _check(self, host: str) -> str | None:
        scheme = host.partition("://")[0]
        if scheme not in ("unix", "tcp"):
            raise ListenError(f"porthole: unsupported --host {host!r}: use unix:///path or tcp://host:port")
        return check_tcp(host, self.options) if scheme == "tcp" else None

    def _bind(self, host: str) -> socketserver.BaseServer:
        scheme, _, address = host.partition("://")
        if scheme == "unix":
            path = Path(address)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_socket():
                path.unlink()
            unix = UnixServer(str(path), EngineHandler)
            secure_socket_file(path, self.options.group)
            return unix
        hostname, port = split_tcp(address)
        tls = tls_context(self.options) if self.options.uses_tls else None
        try:
            tcp = TcpServer((hostname, port), EngineHandler)
        except OSError as e:
            raise ListenError(f"porthole: cannot listen on {host}: {e.strerror}") from None
        tcp.host_check = HostCheck.for_listener(hostname, self.options.api_hosts)
        tcp.tls = tls
        return tcp

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
