"""ECS documents from log entries: one per line, the pieces of a cut line joined back, each with an id that
depends only on where its first entry sits in the local log.

A document (ECS 8.11 names, as Filebeat's container input and add_docker_metadata write them):
  @timestamp            when the copier read the line, RFC 3339 with all nine fraction digits (date_nanos)
  message               the line without its newline
  log.iostream          stdout | stderr
  container.id, container.name (without "/"), container.image.name, container.runtime, container.labels.*
                        (dots in label names become "_", as Filebeat's labels.dedot does: "a.b" and "a"
                        would otherwise clash as object and keyword)
  host.name, ecs.version, and data_stream.*/event.dataset when the index is named <type>-<dataset>-<namespace>
  tags: ["partial"]     only on a line longer than JOIN_LIMIT, or one the container never ended, shipped in parts

The id is a hash of the container id, the entry's line number (or, in an unnumbered log, its file, offset and
time) and how many entries the document joins: a replay of the same entries gives the same ids, and Elastic-
search answers 409 instead of storing the line twice; a replay that joins differently (the rest of a line
arrived meanwhile) gives other ids, so it may duplicate a line but never drops one.
"""

import base64
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from logdrivers.elasticsearch.options import ElasticsearchOptions
from logdrivers.info import ContainerInfo
from logdrivers.message import Message
from logdrivers.shipping.cursor import EntryPosition

ECS_VERSION = "8.11.0"
JOIN_LIMIT = 1024 * 1024  # bytes of a cut line held back until its end arrives; past it, shipped in parts
HOLD_LIMIT = 10_000  # entries held behind an unfinished line at most (other streams go on meanwhile)


@dataclass(frozen=True, slots=True)
class Document:
    id: str | None  # None: Elasticsearch picks one (a message shipped without a place)
    source: bytes  # the JSON document
    entries: int  # log entries it carries (pieces of a cut line count apart)


class _Chain:
    """The pieces of one cut line seen so far."""

    __slots__ = ("first", "last", "lines")

    def __init__(self, first: int, msg: Message) -> None:
        self.first = self.last = first  # indexes of its first and latest piece in the batch
        self.lines = [msg.line]


class DocumentEncoder:
    """Encodes one container's entries; what is the same in every document is serialized once."""

    def __init__(self, info: ContainerInfo, options: ElasticsearchOptions) -> None:
        self._container_id = info.id
        container: dict[str, object] = {
            "id": info.id,
            "name": info.bare_name,
            "image": {"name": info.image_name},
            "runtime": info.daemon_name,
        }
        if info.labels:
            container["labels"] = {key.replace(".", "_"): value for key, value in info.labels.items()}
        constant: dict[str, object] = {"container": container, "host": {"name": info.hostname}}
        constant["ecs"] = {"version": ECS_VERSION}
        if options.data_stream is not None:
            kind, dataset, namespace = options.data_stream
            constant["data_stream"] = {"type": kind, "dataset": dataset, "namespace": namespace}
            constant["event"] = {"dataset": dataset}
        self._tail = b"," + orjson.dumps(constant)[1:]  # the closing brace included
        self._streams: dict[str, bytes] = {}
        self._time_ns, self._time = -1, b""

    # -- one document --------------------------------------------------------------------------------------
    def timestamp(self, timestamp_ns: int) -> bytes:
        if timestamp_ns != self._time_ns:  # the lines of one read share their time
            seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"
            self._time_ns, self._time = timestamp_ns, text.encode()
        return self._time

    def source(self, line: bytes, msg: Message, partial: bool = False) -> bytes:
        stream = self._streams.get(msg.source)
        if stream is None:
            stream = self._streams[msg.source] = b',"log":{"iostream":' + orjson.dumps(msg.source) + b"}"
        # The local log stores text (invalid UTF-8 already became U+FFFD), so decoding never replaces here.
        message = orjson.dumps(line.decode("utf-8", "replace"))
        tags = b',"tags":["partial"]' if partial else b""
        ts = self.timestamp(msg.timestamp_ns)
        return b"".join((b'{"@timestamp":"', ts, b'","message":', message, stream, tags, self._tail))

    def document_id(self, position: EntryPosition, msg: Message, entries: int) -> str:
        device, inode, offset, line = position
        if line is not None:
            key = f"{self._container_id}:{line}:{entries}"
        else:  # unnumbered files: the time guards against an inode number used again
            key = f"{self._container_id}:{device}:{inode}:{offset}:{msg.timestamp_ns}:{entries}"
        digest = hashlib.blake2b(key.encode(), digest_size=15).digest()
        return base64.urlsafe_b64encode(digest).decode()  # 20 characters, like Elasticsearch's own ids

    # -- a batch -----------------------------------------------------------------------------------------
    def documents(
        self, entries: Sequence[Message], positions: Sequence[EntryPosition], final: bool
    ) -> tuple[list[Document], int]:
        """The documents for a prefix of `entries`, in order of their first entry, and the prefix's length.
        Unless `final`, a line still cut at the end is left out with every entry from its first piece on, to
        be offered again with its end."""
        slots: list[tuple[int, Document | _Chain]] = []  # by first entry
        chains: list[_Chain] = []
        open_chains: dict[str, tuple[int, _Chain]] = {}  # partial id -> (slot, chain)
        for index, msg in enumerate(entries):
            partial = msg.partial
            if partial is None:
                slots.append(
                    (index, Document(self.document_id(positions[index], msg, 1), self.source(msg.line, msg), 1))
                )
                continue
            found = open_chains.get(partial.id)
            if found is None:
                found = open_chains[partial.id] = (len(slots), _Chain(index, msg))
                slots.append((index, found[1]))
                chains.append(found[1])
            else:
                found[1].lines.append(msg.line)
                found[1].last = index
            if partial.last:
                del open_chains[partial.id]
                slots[found[0]] = (found[1].first, self._joined(found[1], entries, positions, ended=True))
        taken = len(entries)
        if open_chains and not final:
            taken = self._held_from(chains, [chain for _, chain in open_chains.values()], len(entries))
        documents: list[Document] = []
        for first, slot in slots:
            if first >= taken:
                break
            documents.append(slot if isinstance(slot, Document) else self._joined(slot, entries, positions, False))
        return documents, taken

    @staticmethod
    def _held_from(chains: list[_Chain], open_chains: list[_Chain], count: int) -> int:
        """Where the held tail begins: at the first unfinished line, moved back before any line that straddles
        that point (the held entries must make whole documents); `count` (nothing held) if holding would cost
        too much."""
        if sum(len(line) for chain in open_chains for line in chain.lines) >= JOIN_LIMIT:
            return count
        start = min(chain.first for chain in open_chains)
        while straddling := [chain.first for chain in chains if chain.first < start <= chain.last]:
            start = min(straddling)
        return start if count - start <= HOLD_LIMIT else count

    def _joined(
        self, chain: _Chain, entries: Sequence[Message], positions: Sequence[EntryPosition], ended: bool
    ) -> Document:
        first = entries[chain.first]
        assert first.partial is not None
        whole = ended and first.partial.ordinal == 1  # else the line began or goes on in another document
        pieces = len(chain.lines)
        source = self.source(b"".join(chain.lines), first, partial=not whole)
        return Document(self.document_id(positions[chain.first], first, pieces), source, pieces)
