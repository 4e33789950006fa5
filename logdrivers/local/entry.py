"""Docker's local-driver records: [uint32 BE size][LogEntry protobuf][uint32 BE size] (moby's
daemon/logger/internal/logdriver/entry.proto):

    message LogEntry { string source = 1; int64 time_nano = 2; bytes line = 3; bool partial = 4;
                       PartialLogEntryMetadata partial_log_metadata = 5; repeated LogAttr attrs = 6; }
    message PartialLogEntryMetadata { bool last = 1; string id = 2; int32 ordinal = 3; }
    message LogAttr { string key = 1; string value = 2; }

Encoded and decoded by hand, as gogo-protobuf's generated code lays it out (fields in number order, proto3
defaults left out), because the writer runs in every shim: the protobuf runtime costs megabytes of imports per
process for six fields. The tests decode these records with the protobuf package from the .proto above, and
this decoder reads files written by Docker's own driver.
"""

import struct

from logdrivers.errors import LogDriverError
from logdrivers.message import Message, PartialMeta

FRAME = struct.Struct(">I")
MAX_ENTRY = 1_000_000  # moby's maxMsgLen: a larger size field means a damaged file


class DamagedEntry(LogDriverError):
    def __init__(self, why: str) -> None:
        super().__init__(f"logdrivers: local log entry: {why}")


def varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 and int32 negatives are ten-byte varints
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bytes_field(number: int, value: bytes) -> bytes:
    return bytes((number << 3 | 2,)) + varint(len(value)) + value if value else b""


def encode_attrs(attrs: dict[str, str]) -> bytes:
    """Field 6 for every attribute, sorted by key as Docker sorts them; made once per container."""
    return b"".join(
        _bytes_field(6, _bytes_field(1, key.encode()) + _bytes_field(2, value.encode()))
        for key, value in sorted(attrs.items())
    )


def encode_entry(msg: Message, attrs: bytes) -> bytes:
    """One framed record."""
    body = [_bytes_field(1, msg.source.encode())]
    if msg.timestamp_ns:
        body.append(b"\x10" + varint(msg.timestamp_ns))
    body.append(_bytes_field(3, msg.line))
    if msg.partial is not None:
        meta = (b"\x08\x01" if msg.partial.last else b"") + _bytes_field(2, msg.partial.id.encode())
        if msg.partial.ordinal:
            meta += b"\x18" + varint(msg.partial.ordinal)
        body.append(b"\x20\x01" + b"\x2a" + varint(len(meta)) + meta)
    body.append(attrs)
    data = b"".join(body)
    size = FRAME.pack(len(data))
    return size + data + size


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise DamagedEntry("truncated varint")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes):
    """(number, value) pairs: ints for varints, bytes for length-delimited; other wire types are skipped."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
            yield number, value
        elif wire == 2:
            size, pos = _read_varint(data, pos)
            if pos + size > len(data):
                raise DamagedEntry("truncated field")
            yield number, data[pos : pos + size]
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise DamagedEntry(f"wire type {wire}")


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def decode_entry(body: bytes) -> Message:
    """A LogEntry's protobuf (no frame) as a Message; `line` without a newline, as stored."""
    source, time_nano, line, partial, meta = "", 0, b"", False, None
    attrs: dict[str, str] = {}
    for number, value in _fields(body):
        if number == 1:
            source = bytes(value).decode(errors="replace")
        elif number == 2:
            time_nano = _signed(value, 64)
        elif number == 3:
            line = bytes(value)
        elif number == 4:
            partial = bool(value)
        elif number == 5:
            meta = dict(_fields(value))
        elif number == 6:
            pair = dict(_fields(value))
            attrs[bytes(pair.get(1, b"")).decode(errors="replace")] = bytes(pair.get(2, b"")).decode(errors="replace")
    piece = None
    if partial:
        meta = meta or {}
        piece = PartialMeta(bytes(meta.get(2, b"")).decode(), _signed(meta.get(3, 0), 32), bool(meta.get(1, 0)))
    return Message(line, source, time_nano, piece, attrs or None)
