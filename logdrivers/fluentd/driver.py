"""The fluentd driver: a Forward-protocol client over tcp, tls or a unix socket.

It makes one delivery attempt per call and never sleeps: the shipper that feeds it (logdrivers.shipping)
owns the waiting, asks `retry_delay()` for fluent-logger-golang's back-off (retry-wait x 1.5^(n-1), capped at
60 s) and resends the whole batch after a failure, so delivery is at-least-once. With fluentd-request-ack a
batch counts as delivered only once the collector has answered {"ack": <chunk>}; without it, once the kernel
has taken the bytes (a collector crash can then lose what it had not yet processed).
"""

import base64
import os
import socket
import ssl
import time
from collections.abc import Sequence
from typing import ClassVar

import msgpack

from logdrivers.connections import peer_closed, shutdown_and_close
from logdrivers.driver import DeliveryFailed
from logdrivers.errors import LogDriverError
from logdrivers.fluentd.forward import RecordEncoder
from logdrivers.fluentd.options import FluentdOptions
from logdrivers.info import ContainerInfo
from logdrivers.message import LineBatch, Message

CONNECT_TIMEOUT_S = 3.0  # fluent-logger-golang's dial timeout
MAX_RETRY_WAIT_S = 60.0  # fluent-logger-golang's cap
BATCH_BYTES = 8 * 1024 * 1024  # one PackedForward message at most (fluentd's default chunk limit is 8 MiB)


class AckMismatch(LogDriverError):
    def __init__(self, address: str, expected: str, got: object) -> None:
        super().__init__(f"logdrivers: fluentd ack from {address}: expected {expected!r}, got {got!r}")


class FluentdDriver:
    name: ClassVar[str] = "fluentd"

    def __init__(self, info: ContainerInfo, options: FluentdOptions) -> None:
        self.options = options
        self._encoder = RecordEncoder(info, options)
        self._sock: socket.socket | None = None
        self._connected_at = 0.0

    # -- the LogDriver interface (Docker's behaviour: one event per write, Message mode) ------------------
    def log(self, msg: Message) -> None:
        chunk = self._new_chunk() if self.options.request_ack else None
        self._send(self._encoder.message_mode(msg, {"chunk": chunk} if chunk else {}), chunk)

    def log_batch(self, batch: LineBatch) -> None:
        self.ship(list(batch.messages()))

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            shutdown_and_close(sock)

    # -- the shipping interface ------------------------------------------------------------------------
    def ship(self, messages: Sequence[Message]) -> int:
        """Deliver `messages` in order as PackedForward batches of at most fluentd-buffer-limit events;
        DeliveryFailed says how many went through before a batch failed. Refuses nothing (returns 0)."""
        limit = self.options.buffer_limit
        start = 0
        while start < len(messages):
            end, size = start, 0
            while end < len(messages) and end - start < limit and size < BATCH_BYTES:
                size += len(messages[end].line) + 64
                end += 1
            chunk = self._new_chunk() if self.options.request_ack else None
            try:
                self._send(self._encoder.packed_forward(messages[start:end], chunk), chunk)
            except (OSError, LogDriverError) as exc:
                raise DeliveryFailed(start, exc) from exc
            start = end
        return 0

    def retry_delay(self, failures: int) -> float:
        return min(self.options.retry_wait_s * 1.5 ** max(failures - 1, 0), MAX_RETRY_WAIT_S)

    @property
    def tag(self) -> str:
        return self._encoder.tag

    # -- the connection --------------------------------------------------------------------------------
    @staticmethod
    def _new_chunk() -> str:
        return base64.b64encode(os.urandom(16)).decode()

    def _send(self, data: bytes, chunk: str | None) -> None:
        sock = self._connection()
        try:
            sock.settimeout(self.options.write_timeout_s or None)
            sock.sendall(data)
            if chunk is not None:
                self._await_ack(sock, chunk)
        except BaseException:
            self.close()  # the next attempt dials afresh, as fluent-logger-golang does
            raise

    def _connection(self) -> socket.socket:
        interval = self.options.reconnect_interval_s
        if self._sock is not None and interval and time.monotonic() - self._connected_at >= interval:
            self.close()  # re-dial now and then so DNS-balanced collectors share the load (Docker's option)
        if self._sock is not None and peer_closed(self._sock):
            self.close()
        if self._sock is None:
            self._sock = self._dial()
            self._connected_at = time.monotonic()
        return self._sock

    def _dial(self) -> socket.socket:
        address = self.options.address
        if address.protocol == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(CONNECT_TIMEOUT_S)
            try:
                sock.connect(address.path)
            except BaseException:
                sock.close()
                raise
            return sock
        sock = socket.create_connection((address.host, address.port), timeout=CONNECT_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if address.protocol == "tls":
            return ssl.create_default_context().wrap_socket(sock, server_hostname=address.host)
        return sock

    def _await_ack(self, sock: socket.socket, chunk: str) -> None:
        sock.settimeout(self.options.read_timeout_s or None)
        unpacker = msgpack.Unpacker(raw=False)
        while True:
            data = sock.recv(4096)
            if not data:
                raise ConnectionError(f"fluentd {self.options.address}: connection closed before the ack")
            unpacker.feed(data)
            for reply in unpacker:
                got = reply.get("ack") if isinstance(reply, dict) else reply
                if got != chunk:
                    raise AckMismatch(str(self.options.address), chunk, got)
                return
