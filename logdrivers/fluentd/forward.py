"""Docker's fluentd records, encoded for the Forward protocol v1 (msgpack).

A record is a map of strings: container_id, container_name (with its leading "/"), source, log, the label and
env attributes as top-level keys (overwriting the base keys, as in Docker), and partial_message, partial_id,
partial_ordinal, partial_last on pieces of a cut line. As in Docker the line's bytes go out as a msgpack str
exactly as the container wrote them (invalid UTF-8 included). Time is integer seconds, or with sub-second
precision an EventTime: ext type 0, uint32 BE seconds + uint32 BE nanoseconds, written as fixext8.

A single message goes out in Message mode ([tag, time, record, option]) as Docker sends it; batches go out in
PackedForward mode ([tag, bin(entry stream), {"size": n}]), which fluentd and fluent-bit read like Forward
mode but which costs one header per batch instead of one array per entry. The constant part of every record
is packed once; each entry is then a few byte joins (no dict, no packer call) unless attributes shadow
source/log or the message is a partial piece.
"""

import struct
from collections.abc import Mapping, Sequence

import msgpack

from logdrivers.attrs import extra_attributes
from logdrivers.fluentd.options import FluentdOptions
from logdrivers.info import ContainerInfo
from logdrivers.message import Message

_ENTRY = b"\x92"  # fixarray(2): [time, record]
_LOG_KEY = b"\xa3log"
_EVENT_TIME = b"\xd7\x00"  # fixext8, type 0
_SECONDS = struct.Struct(">II")


# str headers of short lines, looked up rather than built: fixstr up to 31 bytes, str8 up to 255.
_SHORT_STR = [bytes((0xA0 | n,)) for n in range(32)] + [b"\xd9" + bytes((n,)) for n in range(32, 256)]


def str_header(length: int) -> bytes:
    if length < 0x100:
        return _SHORT_STR[length]
    if length < 0x10000:
        return b"\xda" + struct.pack(">H", length)
    return b"\xdb" + struct.pack(">I", length)


def bin_header(length: int) -> bytes:
    if length < 0x100:
        return b"\xc4" + bytes((length,))
    if length < 0x10000:
        return b"\xc5" + struct.pack(">H", length)
    return b"\xc6" + struct.pack(">I", length)


def map_header(count: int) -> bytes:
    return bytes((0x80 | count,)) if count < 16 else b"\xde" + struct.pack(">H", count)


class RecordEncoder:
    """Encodes one container's messages; everything that does not change per message is packed once."""

    def __init__(self, info: ContainerInfo, options: FluentdOptions) -> None:
        # use_bin_type=False packs bytes as str: the raw line goes out as Docker's Go client sends it.
        self._packer = msgpack.Packer(use_bin_type=False)
        self.tag = options.tag.render(info)
        self._packed_tag = self._packer.pack(self.tag)
        self._sub_second = options.sub_second_precision
        self._base = {"container_id": info.id, "container_name": info.name, "source": "", "log": ""}
        self._base.update(extra_attributes(options.attrs, info))
        constant = {k: v for k, v in self._base.items() if k not in ("source", "log")}
        # Attributes named source or log replace the message's own (Docker's map assignment order).
        self._fast = self._base["source"] == "" and self._base["log"] == ""
        self._head = map_header(len(constant) + 2) + b"".join(
            self._packer.pack(k) + self._packer.pack(v) for k, v in constant.items()
        )
        self._sources: dict[str, bytes] = {}
        self._time_ns, self._time = -1, b""  # the last time encoded: lines read together share it

    def time(self, timestamp_ns: int) -> bytes:
        if timestamp_ns == self._time_ns:
            return self._time
        seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
        encoded = _EVENT_TIME + _SECONDS.pack(seconds, nanos) if self._sub_second else self._packer.pack(seconds)
        self._time_ns, self._time = timestamp_ns, encoded
        return encoded

    def record(self, msg: Message) -> bytes:
        if self._fast and msg.partial is None:
            return b"".join((self._head, self._source(msg.source), _LOG_KEY, str_header(len(msg.line)), msg.line))
        data: dict[str, str | bytes] = {**self._base, "source": msg.source, "log": msg.line}
        data.update((k, v) for k, v in self._base.items() if k in ("source", "log") and v)
        if msg.partial is not None:
            data["partial_message"] = "true"
            data["partial_id"] = msg.partial.id
            data["partial_ordinal"] = str(msg.partial.ordinal)
            data["partial_last"] = "true" if msg.partial.last else "false"
        return self._packer.pack(data)

    def entry(self, msg: Message) -> bytes:
        """[time, record]: one entry of a Forward or PackedForward batch."""
        return _ENTRY + self.time(msg.timestamp_ns) + self.record(msg)

    def message_mode(self, msg: Message, option: Mapping[str, str]) -> bytes:
        """[tag, time, record, option]: Docker's one event per write."""
        return b"\x94" + self._packed_tag + self.time(msg.timestamp_ns) + self.record(msg) + self._packer.pack(option)

    def packed_forward(self, messages: Sequence[Message], chunk: str | None) -> bytes:
        """[tag, bin(entries), {"size": n[, "chunk": id]}]."""
        entries = b"".join(self._entry_parts(messages))
        option: dict[str, object] = {"size": len(messages)}
        if chunk is not None:
            option["chunk"] = chunk
        return b"".join((b"\x93", self._packed_tag, bin_header(len(entries)), entries, self._packer.pack(option)))

    def _entry_parts(self, messages: Sequence[Message]) -> list[bytes]:
        """The pieces of every entry in one list, joined once by the caller: entry() and record() inlined for
        whole lines (the shipper's hot path, where their calls and joins were a third of the driver's time)."""
        if not self._fast:
            return [self.entry(msg) for msg in messages]
        parts: list[bytes] = []
        extend, time, head, source = parts.extend, self.time, self._head, self._source
        for msg in messages:
            if msg.partial is not None:
                parts.append(self.entry(msg))
                continue
            line = msg.line
            extend((_ENTRY, time(msg.timestamp_ns), head, source(msg.source), _LOG_KEY, str_header(len(line)), line))
        return parts

    def _source(self, name: str) -> bytes:
        """The packed "source" key and value, made once per stream name."""
        packed = self._sources.get(name)
        if packed is None:
            packed = self._sources[name] = b"\xa6source" + self._packer.pack(name)
        return packed
