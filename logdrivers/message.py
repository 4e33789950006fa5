"""What flows from the copier to the drivers: single messages and batches of complete lines.

All are msgspec Structs, made by C code. A dataclass's generated __init__ is Python: slower where millions are
made (the shipper reads back a message per line), and in a shim, every first call after the fork copies pages
(bench_memory.py --first-line: ~50 KiB per container for LineBatch and the splitter's state as dataclasses).
"""

import os
from collections.abc import Iterator

import msgspec

MAX_LINE = 16 * 1024
"""Docker's copier buffer: a line this long or longer is cut into partial messages of exactly this size."""


def random_partial_id() -> str:
    """A fresh partial-chain id: 64 hex digits, as Docker's stringid.GenerateRandomID."""
    return os.urandom(32).hex()


class PartialMeta(msgspec.Struct, frozen=True, gc=False):
    """Marks one piece of a line cut at MAX_LINE (or left unterminated at EOF)."""

    id: str
    ordinal: int  # from 1 within the chain
    last: bool  # True on the piece that ended at a newline


class Message(msgspec.Struct, gc=False):
    """One log entry. `line` never holds the terminating newline.

    No cycles go through a message (nor any Struct here): gc=False keeps the collector from tracking the
    millions the shipper makes."""

    line: bytes
    source: str  # "stdout" or "stderr"
    timestamp_ns: int  # UTC, when the copier read it
    partial: PartialMeta | None = None
    attrs: dict[str, str] | None = None

    @property
    def ends_line(self) -> bool:
        """False for a partial piece that is not the last one of its line."""
        return self.partial is None or self.partial.last

    def printed(self) -> bytes:
        """The bytes `docker logs` prints for this entry: the line plus a newline unless it ends no line."""
        return self.line + b"\n" if self.ends_line else self.line


class LineBatch(msgspec.Struct, frozen=True, gc=False):
    """Complete lines read together, sharing the read time: the copier's fast path.

    `data` holds one or more lines, each ending in b"\\n", none of them MAX_LINE bytes or longer; drivers
    that write text (json-file) transform it whole instead of building an object per line.
    """

    source: str
    timestamp_ns: int
    data: bytes

    def lines(self) -> list[bytes]:
        return self.data[:-1].split(b"\n")

    def messages(self) -> Iterator[Message]:
        for line in self.lines():
            yield Message(line, self.source, self.timestamp_ns)
