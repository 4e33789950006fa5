"""Request bodies in chunked encoding and by length, Docker's stream framing, and the hijacked stream's socket."""

import io
import socket
from types import SimpleNamespace

import pytest

from runtime.api.http import ChunkedReader, Hijack, LengthReader, frame
from runtime.errors import InvalidParameter


def _read_all(reader: io.RawIOBase, size: int = 7) -> bytes:
    buffered = io.BufferedReader(reader, size)
    return buffered.read()


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world"),
        (b"a;ext=1\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
        (b"0\r\nTrailer: x\r\n\r\n", b""),
        (b"3\r\nabc\r\n0\r\n\r\nNEXT REQUEST", b"abc"),
    ],
)
def test_chunked_reader(wire, body):
    raw = io.BufferedReader(io.BytesIO(wire))
    assert _read_all(ChunkedReader(raw)) == body


def test_chunked_reader_leaves_the_next_request_on_the_connection():
    raw = io.BufferedReader(io.BytesIO(b"3\r\nabc\r\n0\r\n\r\nGET /next"))
    _read_all(ChunkedReader(raw))
    assert raw.read() == b"GET /next"


@pytest.mark.parametrize("wire", [b"5\r\nhel", b"", b"5\r\nhello\r\n"])
def test_chunked_reader_refuses_a_body_cut_short(wire):
    with pytest.raises(InvalidParameter):
        _read_all(ChunkedReader(io.BufferedReader(io.BytesIO(wire))))


def test_length_reader_stops_at_the_length():
    raw = io.BufferedReader(io.BytesIO(b"0123456789rest"))
    assert _read_all(LengthReader(raw, 10)) == b"0123456789"
    assert raw.read() == b"rest"


@pytest.mark.parametrize(
    ("stream", "payload", "expected"),
    [
        (1, b"hi\n", b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n"),
        (2, b"", b"\x02\x00\x00\x00\x00\x00\x00\x00"),
        (1, b"x" * 70000, b"\x01\x00\x00\x00\x00\x01\x11\x70" + b"x" * 70000),
    ],
)
def test_frame(stream, payload, expected):
    assert frame(stream, payload) == expected


def test_a_hijacked_tcp_stream_sends_each_small_write_at_once():
    """No Nagle on a raw stream over TCP: a key's echo must not wait for the client's ACK of the last one."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        with client, server, server.makefile("wb") as wfile:
            seen = []
            handler = SimpleNamespace(wfile=wfile, connection=server, close_connection=False)
            Hijack(lambda sock: seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))).send(handler)
            assert client.recv(4096).startswith(b"HTTP/1.1 101 UPGRADED\r\n")
    assert seen == [1]
