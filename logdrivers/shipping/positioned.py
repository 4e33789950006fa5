"""Drivers shipped by place: each entry comes with where it sits in the local log, and the driver may leave
the tail of a batch for later.

The place of an entry (device, inode, offset and, in numbered logs, its line number) never changes, so a
driver can derive a deterministic record id from it (the elasticsearch driver's document ids): a batch sent
again after a crash then replaces nothing and duplicates nothing. A driver that joins the pieces of a cut line
into one record, or that waits for a batch to fill, takes only a prefix of what it is offered: the shipper
keeps the rest in memory and offers it again in front of what the log brings next, and the position it
records stays at the first entry not taken, so a restart reads it again instead of losing it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from logdrivers.message import Message
from logdrivers.shipping.cursor import EntryPosition, LogCursor, Position


@dataclass(frozen=True, slots=True)
class Shipped:
    taken: int  # the first `taken` entries are done with: delivered, or refused for good
    refused: int = 0  # of those, entries the collector can never take


@runtime_checkable
class PositionedShippingDriver(Protocol):
    def ship_entries(self, entries: Sequence[Message], positions: Sequence[EntryPosition], final: bool) -> Shipped:
        """Deliver a prefix of `entries` (all of them when `final`: the container writes no more) in one attempt;
        raise (LogDriverError, OSError) if the attempt failed: the same entries are offered again."""

    def retry_delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failed attempt in a row."""


@dataclass(frozen=True, slots=True)
class DocumentCounts:
    """A driver's own records, as its collector counts them (since the daemon started)."""

    shipped: int = 0  # accepted as new
    duplicate: int = 0  # already there (sent again after a crash or a failed request): delivered
    retried: int = 0  # sent again because the collector could not take them then (429, 5xx, no answer)
    rejected: int = 0  # refused for good as malformed (and kept aside, e.g. in a dead-letter file)


@runtime_checkable
class DocumentCounting(Protocol):
    def document_counts(self) -> DocumentCounts:
        """The counts so far; read from the metrics thread while shipping goes on."""


@dataclass(frozen=True, slots=True)
class EntryBatch:
    messages: list[Message]
    positions: list[EntryPosition] | None  # None for drivers shipped without places

    def __len__(self) -> int:
        return len(self.messages)

    def after(self, count: int) -> "EntryBatch":
        positions = self.positions[count:] if self.positions is not None else None
        return EntryBatch(self.messages[count:], positions)


class EntryFeed:
    """What the shipper reads: the entries a positioned driver left, then the cursor's next ones."""

    def __init__(self, cursor: LogCursor, positioned: bool) -> None:
        self._cursor = cursor
        self._positioned = positioned
        self._held = EntryBatch([], [] if positioned else None)

    def read(self, max_lines: int) -> EntryBatch:
        if not self._positioned:
            return EntryBatch(self._cursor.read(max_lines), None)
        positions: list[EntryPosition] = []
        messages = self._cursor.read(max_lines, positions)
        held, self._held = self._held, EntryBatch([], [])
        assert held.positions is not None
        return EntryBatch(held.messages + messages, held.positions + positions)

    def hold(self, rest: EntryBatch) -> None:
        """Keep `rest` (the entries a driver did not take) for the next read."""
        self._held = rest

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def position(self) -> Position | None:
        """Where a restart must begin: at the first entry held, else where the cursor stands."""
        if self._held.positions:
            return Position(*self._held.positions[0])
        return self._cursor.position
