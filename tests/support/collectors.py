"""Collectors for tests, written from the protocols' specs and independent of the code under test: a msgpack
decoder (msgpack spec), a Fluentd Forward protocol v1 server (Message, Forward and PackedForward modes, ack),
and GELF servers (UDP with chunk reassembly and gzip/zlib/plain detection by magic bytes; TCP NUL frames)."""

import gzip
import json
import socket
import struct
import threading
import zlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventTime:
    seconds: int
    nanoseconds: int


def _unpack(data: bytes, pos: int):  # noqa: C901 - one branch per msgpack format, as the spec lists them
    b = data[pos]
    pos += 1
    if b <= 0x7F:
        return b, pos
    if b >= 0xE0:
        return b - 0x100, pos
    if 0x80 <= b <= 0x8F:
        return _map(data, pos, b & 0x0F)
    if 0x90 <= b <= 0x9F:
        return _array(data, pos, b & 0x0F)
    if 0xA0 <= b <= 0xBF:
        n = b & 0x1F
        return data[pos : pos + n], pos + n  # str kept as bytes: the test decides how to read them
    simple = {0xC0: None, 0xC2: False, 0xC3: True}
    if b in simple:
        return simple[b], pos
    sized = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}  # bin8/16/32, str8/16/32
    if b in sized:
        width = sized[b]
        n = int.from_bytes(data[pos : pos + width], "big")
        pos += width
        return data[pos : pos + n], pos + n
    ints = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
    if b in ints:
        fmt = ints[b]
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, data[pos : pos + size])[0], pos + size
    if b == 0xCB:
        return struct.unpack(">d", data[pos : pos + 8])[0], pos + 8
    if b == 0xD7:  # fixext8
        return _ext(data[pos], data[pos + 1 : pos + 9]), pos + 9
    if b == 0xC7:  # ext8
        n = data[pos]
        return _ext(data[pos + 1], data[pos + 2 : pos + 2 + n]), pos + 2 + n
    if b in (0xDC, 0xDD, 0xDE, 0xDF):
        width = 2 if b in (0xDC, 0xDE) else 4
        n = int.from_bytes(data[pos : pos + width], "big")
        return (_array if b in (0xDC, 0xDD) else _map)(data, pos + width, n)
    raise ValueError(f"msgpack: format byte {b:#x} not handled")


def _ext(kind: int, payload: bytes):
    if kind == 0 and len(payload) == 8:
        return EventTime(*struct.unpack(">II", payload))
    raise ValueError(f"unexpected ext type {kind}")


def _array(data, pos, n):
    out = []
    for _ in range(n):
        value, pos = _unpack(data, pos)
        out.append(value)
    return out, pos


def _map(data, pos, n):
    out = {}
    for _ in range(n):
        key, pos = _unpack(data, pos)
        value, pos = _unpack(data, pos)
        out[key] = value
    return out, pos


def unpack_all(data: bytes) -> tuple[list, bytes]:
    """Complete objects in `data`, and the incomplete rest."""
    values, pos = [], 0
    while pos < len(data):
        try:
            value, end = _unpack(data, pos)
        except (IndexError, struct.error):
            break
        values.append(value)
        pos = end
    return values, data[pos:]


@dataclass
class ForwardEvent:
    tag: str
    time: int | EventTime
    record: dict[str, bytes]  # keys decoded, values raw bytes as sent
    mode: str


class _Server:
    def __init__(self, kind: int = socket.SOCK_STREAM, port: int = 0, unix_path: str | None = None) -> None:
        self._kind, self.unix_path = kind, unix_path
        self.port = port
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.start()

    def start(self) -> None:
        if self.unix_path:
            listener = socket.socket(socket.AF_UNIX, self._kind)
            listener.bind(self.unix_path)
        else:
            listener = socket.socket(socket.AF_INET, self._kind)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self._kind == socket.SOCK_DGRAM:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            listener.bind(("127.0.0.1", self.port))
            self.port = listener.getsockname()[1]
        if self._kind == socket.SOCK_STREAM:
            listener.listen(16)
        self._listener = listener
        self._spawn(self._accept_loop if self._kind == socket.SOCK_STREAM else self._datagram_loop, listener)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        rest = b""
        while True:
            try:
                data = conn.recv(1 << 20)
                if not data:
                    return
                rest = self.received(conn, rest + data)  # may answer (an ack)
            except OSError:
                return  # the sender left, or stop() closed the connection as a collector that dies would

    def _datagram_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                data = listener.recv(65536)
            except OSError:
                return
            if self._listener is None:  # stop()'s shutdown woke the recv with an empty read
                return
            self.datagram(data)

    def stop(self) -> None:
        """Close the listener and every connection (a collector going down)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept() or recv()
            except OSError:
                listener.close()  # a datagram socket that never connected: closing is enough
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                conn.close()
                continue
            conn.close()
        for thread in self._threads:
            thread.join(5)
        self._threads = []

    def received(self, conn: socket.socket, data: bytes) -> bytes:
        raise NotImplementedError

    def datagram(self, data: bytes) -> None:
        raise NotImplementedError


class ForwardServer(_Server):
    """Fluentd's in_forward, as far as the spec requires: answers {"ack": chunk} when a chunk is sent."""

    def __init__(self, port: int = 0, unix_path: str | None = None, ack: bool = True) -> None:
        self.events: list[ForwardEvent] = []
        self.options: list[dict] = []
        self.ack = ack
        super().__init__(socket.SOCK_STREAM, port, unix_path)

    def received(self, conn: socket.socket, data: bytes) -> bytes:
        messages, rest = unpack_all(data)
        for message in messages:
            self._accept(conn, message)
        return rest

    def _accept(self, conn: socket.socket, message: list) -> None:
        tag, second = message[0].decode(), message[1]
        option: dict = {}
        if isinstance(second, list):  # Forward mode
            events = [(entry[0], entry[1], "forward") for entry in second]
            option = message[2] if len(message) > 2 else {}
        elif isinstance(second, bytes) and not isinstance(second, bool):  # PackedForward: a stream of entries
            entries, rest = unpack_all(second)
            assert rest == b"", "PackedForward entries must be whole"
            events = [(entry[0], entry[1], "packed") for entry in entries]
            option = message[2] if len(message) > 2 else {}
        else:  # Message mode
            events = [(second, message[2], "message")]
            option = message[3] if len(message) > 3 else {}
        option = {k.decode(): v for k, v in option.items()}
        with self._lock:
            self.options.append(option)
            for time, record, mode in events:
                self.events.append(ForwardEvent(tag, time, {k.decode(): v for k, v in record.items()}, mode))
        if "chunk" in option and self.ack:
            chunk = option["chunk"]
            conn.sendall(b"\x81\xa3ack" + bytes((0xA0 | len(chunk),)) + chunk)

    def logs(self) -> list[bytes]:
        with self._lock:
            return [event.record["log"] for event in self.events]


def inflate_gelf(datagram: bytes) -> dict:
    """A whole GELF payload: gzip (1f 8b), zlib (78 ..) or plain JSON, told apart by magic bytes."""
    if datagram[:2] == b"\x1f\x8b":
        datagram = gzip.decompress(datagram)
    elif datagram[:1] == b"\x78":
        datagram = zlib.decompress(datagram)
    return json.loads(datagram)


@dataclass
class _Partial:
    count: int
    chunks: dict[int, bytes] = field(default_factory=dict)


class GelfUdpServer(_Server):
    def __init__(self, port: int = 0) -> None:
        self.messages: list[dict] = []
        self.datagrams: list[bytes] = []
        self._partials: dict[bytes, _Partial] = {}
        super().__init__(socket.SOCK_DGRAM, port)

    def datagram(self, data: bytes) -> None:
        with self._lock:
            self.datagrams.append(data)
        if data[:2] != b"\x1e\x0f":
            self._add(inflate_gelf(data))
            return
        message_id, seq, count = data[2:10], data[10], data[11]
        assert count <= 128 and seq < count
        partial = self._partials.setdefault(message_id, _Partial(count))
        partial.chunks[seq] = data[12:]
        if len(partial.chunks) == partial.count:
            del self._partials[message_id]
            self._add(inflate_gelf(b"".join(partial.chunks[i] for i in range(partial.count))))

    def _add(self, message: dict) -> None:
        with self._lock:
            self.messages.append(message)


class GelfTcpServer(_Server):
    def __init__(self, port: int = 0) -> None:
        self.messages: list[dict] = []
        super().__init__(socket.SOCK_STREAM, port)

    def received(self, conn: socket.socket, data: bytes) -> bytes:
        *frames, rest = data.split(b"\0")
        with self._lock:
            self.messages.extend(json.loads(frame) for frame in frames)
        return rest
