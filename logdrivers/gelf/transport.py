"""GELF transports: UDP datagrams (compressed, chunked as go-gelf does) and null-delimited TCP frames."""

import os
import socket

from logdrivers.connections import peer_closed, shutdown_and_close
from logdrivers.errors import LogDriverError
from logdrivers.gelf.compress import MessageCompressor

CHUNK_SIZE = 1420  # go-gelf's ChunkSize: a datagram that fits a WAN path MTU
CHUNK_HEADER = 12  # magic 1e 0f, 8-byte message id, sequence, count
CHUNK_DATA = CHUNK_SIZE - CHUNK_HEADER
MAX_CHUNKS = 128  # GELF's limit: a receiver drops a message of more chunks
_MAGIC = b"\x1e\x0f"


class MessageTooLarge(LogDriverError):
    """A message that would need more than 128 chunks: no GELF receiver takes it, so it is refused for good."""

    def __init__(self, size: int) -> None:
        super().__init__(f"logdrivers: gelf message of {size} compressed bytes: msg too large (more than 128 chunks)")


def chunk(payload: bytes) -> list[bytes]:
    """The datagrams of one compressed message: itself if it fits, else chunks under a random message id."""
    if len(payload) <= CHUNK_SIZE:
        return [payload]
    count = -(-len(payload) // CHUNK_DATA)
    if count > MAX_CHUNKS:
        raise MessageTooLarge(len(payload))
    head = _MAGIC + os.urandom(8)
    return [head + bytes((seq, count)) + payload[seq * CHUNK_DATA : (seq + 1) * CHUNK_DATA] for seq in range(count)]


class UdpTransport:
    def __init__(self, host: str, port: int, compression: str, level: int) -> None:
        self._address = (host, port)
        self._compressor = MessageCompressor(compression, level) if compression != "none" else None
        self._sock: socket.socket | None = None

    def compress(self, data: bytes) -> bytes:
        return data if self._compressor is None else self._compressor.compress(data)

    def send(self, message: bytes) -> None:
        """Compress and send one message; MessageTooLarge if it cannot be sent at all."""
        datagrams = chunk(self.compress(message))
        if self._sock is None:
            # connect() resolves the name once per connection, as Docker's writer does at start; a failed
            # send drops the socket, so a moved collector is found again at the next attempt.
            family, kind, proto, _, address = socket.getaddrinfo(*self._address, type=socket.SOCK_DGRAM)[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.connect(address)
            except BaseException:
                sock.close()
                raise
            self._sock = sock
        try:
            for datagram in datagrams:
                self._sock.send(datagram)
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


class TcpTransport:
    """Frames are the uncompressed JSON and a NUL byte (GELF TCP)."""

    def __init__(self, host: str, port: int, connect_timeout_s: float = 3.0) -> None:
        self._address = (host, port)
        self._timeout = connect_timeout_s
        self._sock: socket.socket | None = None

    def send_frames(self, messages: list[bytes]) -> None:
        if self._sock is not None and peer_closed(self._sock):
            self.close()
        if self._sock is None:
            self._sock = socket.create_connection(self._address, timeout=self._timeout)
            self._sock.settimeout(None)
        try:
            self._sock.sendall(b"\0".join(messages) + b"\0")
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            shutdown_and_close(sock)
