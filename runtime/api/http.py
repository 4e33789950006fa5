"""Requests and responses of the Engine API over HTTP/1.1: plain JSON, empty, raw, streamed (chunked, flushed per
chunk, headers sent at once, as the docker CLI needs for wait, events, logs and stats) and hijacked (101,
then the raw socket, for attach and exec)."""

import fcntl
import io
import json
import select
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

import orjson

from runtime.api import deepjson
from runtime.api.guard import check_json_content_type
from runtime.errors import InvalidParameter

MAX_JSON_BODY = 32 << 20
SIOCOUTQ = 0x5411  # bytes sent that the peer has not read yet (asm-generic/ioctls.h TIOCOUTQ)
HEADERS_READ_TIMEOUT = 1.0  # a client that never reads its 101 response delays its stream this long


class ChunkedReader(io.RawIOBase):
    """A request body in chunked transfer encoding (docker load and import stream tars of unknown length)."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self._raw = raw
        self._left = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._done:
            return 0
        if self._left == 0:
            size_line = self._raw.readline(1024)
            if not size_line:
                raise InvalidParameter("request body: chunked encoding ended early")
            self._left = int(size_line.split(b";")[0].strip() or b"0", 16)
            if self._left == 0:
                while self._raw.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self._done = True
                return 0
        data = self._raw.read(min(len(buffer), self._left))
        if not data:
            raise InvalidParameter("request body: connection closed inside a chunk")
        buffer[: len(data)] = data
        self._left -= len(data)
        if self._left == 0:
            self._raw.readline(8)
        return len(data)


class LengthReader(io.RawIOBase):
    def __init__(self, raw: io.BufferedIOBase, length: int) -> None:
        self._raw = raw
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._left <= 0:
            return 0
        data = self._raw.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


@dataclass
class Request:
    method: str
    path: str  # without the /vX.Y prefix
    api_version: str
    query: dict[str, list[str]]
    handler: BaseHTTPRequestHandler
    _body: io.BufferedReader | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, handler: BaseHTTPRequestHandler, path: str, api_version: str, query: str) -> "Request":
        return cls(handler.command, path, api_version, parse_qs(query, keep_blank_values=True), handler)

    @property
    def headers(self):
        return self.handler.headers

    length: int | None = 0  # the body's Content-Length (checked by runtime.api.guard), None for chunked

    def body(self) -> io.BufferedReader:
        if self._body is None:
            if self.length is None:
                raw: io.RawIOBase = ChunkedReader(self.handler.rfile)
            else:
                raw = LengthReader(self.handler.rfile, self.length)
            self._body = io.BufferedReader(raw, 1 << 16)
        return self._body

    @property
    def has_body(self) -> bool:
        return self.length != 0

    def drain(self) -> None:
        """Read what the handler left of the body, so the connection can serve the next request."""
        body = self.body()
        while body.read(1 << 16):
            pass

    def json(self, required: bool = False) -> Any:
        check_json_content_type(self.headers, self.has_body)
        if self.length is not None and self.length > MAX_JSON_BODY:
            raise InvalidParameter("request body: JSON larger than 32 MiB")
        data = self.body().read(MAX_JSON_BODY + 1)
        if len(data) > MAX_JSON_BODY:
            raise InvalidParameter("request body: JSON larger than 32 MiB")
        if not data.strip():
            if required:
                raise InvalidParameter("request body: a JSON object is required")
            return None
        try:
            return orjson.loads(data)  # nesting up to 1024 deep
        except orjson.JSONDecodeError as e:
            if str(e).startswith("depth limit exceeded"):  # Go's decoder, Docker's, allows 10,000
                return deepjson.loads(data)
            raise InvalidParameter(f"invalid JSON: {e}") from None

    def json_object(self, required: bool = False) -> dict[str, Any]:
        body = self.json(required)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise InvalidParameter(f"invalid JSON: expected an object, got {type(body).__name__}")
        return body


class Response:
    status = 200

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError


def _start(handler: BaseHTTPRequestHandler, status: int, headers: Iterable[tuple[str, str]]) -> None:
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    for name, value in handler.server.common_headers:  # type: ignore[attr-defined]
        handler.send_header(name, value)
    handler.end_headers()


@dataclass
class Json(Response):
    body: Any
    status: int = 200

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        data = json.dumps(self.body).encode() + b"\n"
        _start(handler, self.status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        if handler.command != "HEAD":  # a body after a HEAD reply is an unsolicited response to Go's client
            handler.wfile.write(data)


@dataclass
class Raw(Response):
    data: bytes
    content_type: str = "text/plain; charset=utf-8"
    status: int = 200

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        _start(handler, self.status, [("Content-Type", self.content_type), ("Content-Length", str(len(self.data)))])
        if handler.command != "HEAD":
            handler.wfile.write(self.data)


@dataclass
class Empty(Response):
    status: int = 204
    headers: list[tuple[str, str]] = field(default_factory=list)

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        _start(handler, self.status, [*self.headers, *([("Content-Length", "0")] if self.status != 304 else [])])


@dataclass
class Stream(Response):
    """Chunked body: headers go out at once, each produced piece is flushed as it comes."""

    chunks: Iterator[bytes]
    content_type: str = "application/json"
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        headers = [("Content-Type", self.content_type), ("Transfer-Encoding", "chunked"), *self.headers]
        _start(handler, self.status, headers)
        handler.wfile.flush()
        if handler.command == "HEAD":
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()
            return
        try:
            if handler.command == "HEAD":
                return  # headers only; the producer is closed below
            for chunk in self.chunks:
                if chunk:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    handler.wfile.flush()
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        finally:
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()


@dataclass
class Hijack(Response):
    """101 UPGRADED, then the socket is the handler's: `run(sock)` streams until it is done."""

    run: Callable[[socket.socket], None]
    content_type: str = "application/vnd.docker.multiplexed-stream"

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(
            b"HTTP/1.1 101 UPGRADED\r\nContent-Type: "
            + self.content_type.encode()
            + b"\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
        )
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.settimeout(None)  # the raw stream is idle as long as the client's stdin is
        if handler.connection.family in (socket.AF_INET, socket.AF_INET6):
            # Each echo of a key goes out at once (as Go's connections, Docker's, send): Nagle's algorithm would
            # hold it while the last one is unacknowledged, up to the client's delayed ACK (40 ms).
            handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        wait_until_read(handler.connection, HEADERS_READ_TIMEOUT)
        self.run(handler.connection)


def wait_until_read(sock: socket.socket, timeout: float) -> None:
    """Return once the peer has read all that was sent (or after `timeout`). docker-py reads a hijacked stream
    from the raw socket, past the buffer its HTTP parser filled, so bytes that reach it together with the 101
    response are lost (docker/docker-py#2042, #3332; Docker has the race too). A unix socket tells how much
    the peer has not read yet; other sockets do not, and are not waited for."""
    if sock.family != socket.AF_UNIX:
        return
    deadline = time.monotonic() + timeout
    unread = bytearray(4)
    while time.monotonic() < deadline:
        fcntl.ioctl(sock.fileno(), SIOCOUTQ, unread)
        if not any(unread):
            return
        time.sleep(0.001)


def frame(stream: int, payload: bytes) -> bytes:
    """Docker's multiplexed framing: 1 stdout, 2 stderr, 3 system error."""
    return bytes((stream, 0, 0, 0)) + len(payload).to_bytes(4, "big") + payload


def client_gone(sock: socket.socket) -> bool:
    """True once the client closed its end (a readable socket with nothing to read)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
