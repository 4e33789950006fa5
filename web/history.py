"""Samples kept in memory: per container, a ring of rows of named float columns, the oldest overwritten.

A column is a flat `array('d')` of the ring's capacity (8 bytes a value, no per-value object), created on
first use and filled with NaN where a row has no value (an interface that appeared later, a counter the
kernel lacks). Timestamps are unix seconds; a window is read as columns, the shape charts draw from.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections.abc import Mapping
from dataclasses import dataclass

from web.errors import InvalidOption

NAN = math.nan


@dataclass(frozen=True, slots=True)
class Window:
    """The rows of one ring with t > since, oldest first, as columns (None where a row has no value)."""

    t: list[float]
    columns: dict[str, list[float | None]]


class SeriesRing:
    """The last `capacity` rows of one container. Not thread-safe: HistoryStore locks around it."""

    __slots__ = ("capacity", "max_columns", "_t", "_columns", "_head", "_count")

    def __init__(self, capacity: int, max_columns: int) -> None:
        self.capacity = capacity
        # A container decides how many interfaces it has; the cap keeps one that makes thousands from
        # costing the host its memory. Values of columns beyond it are not kept.
        self.max_columns = max_columns
        self._t = array("d", bytes(8 * capacity))
        self._columns: dict[str, array] = {}
        self._head = 0  # the slot the next row goes to
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, t: float, values: Mapping[str, float]) -> None:
        i = self._head
        self._t[i] = t
        columns = self._columns
        for name, column in columns.items():
            column[i] = values.get(name, NAN)
        if len(values) > len(columns) or any(name not in columns for name in values):
            self._add_columns(i, values)
        self._head = (i + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def _add_columns(self, i: int, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            if name in self._columns or len(self._columns) >= self.max_columns:
                continue
            column = array("d", [NAN]) * self.capacity
            column[i] = value
            self._columns[name] = column

    def _order(self) -> list[int]:
        """Physical slots, oldest first."""
        if self._count < self.capacity:
            return list(range(self._count))
        return list(range(self._head, self.capacity)) + list(range(self._head))

    def window(self, since: float = -math.inf) -> Window:
        order = self._order()
        times = self._t
        # rows are in time order, so the first row after `since` is found by bisection
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if times[order[mid]] > since:
                hi = mid
            else:
                lo = mid + 1
        slots = order[lo:]
        return Window(
            t=[times[i] for i in slots],
            columns={name: [_json_float(column[i]) for i in slots] for name, column in self._columns.items()},
        )

    def last(self, n: int = 1) -> list[tuple[float, dict[str, float]]]:
        """The newest n rows, oldest first, each with only the columns that have a value."""
        rows = []
        for i in self._order()[-n:]:
            values = {name: column[i] for name, column in self._columns.items() if not math.isnan(column[i])}
            rows.append((self._t[i], values))
        return rows

    def nbytes(self) -> int:
        """The bytes the sample values take (the arrays' buffers)."""
        return (1 + len(self._columns)) * self.capacity * 8


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


class HistoryStore:
    """Every container's ring, by container id, shared by the sampler (writer) and the views (readers)."""

    def __init__(self, capacity: int, max_columns: int = 256) -> None:
        if capacity < 2:
            raise InvalidOption(f"web: invalid history capacity {capacity}: a rate needs at least 2 samples")
        self.capacity = capacity
        self.max_columns = max_columns
        self._rings: dict[str, SeriesRing] = {}
        self._lock = threading.Lock()

    def append(self, key: str, t: float, values: Mapping[str, float]) -> None:
        with self._lock:
            ring = self._rings.get(key)
            if ring is None:
                ring = self._rings[key] = SeriesRing(self.capacity, self.max_columns)
            ring.append(t, values)

    def window(self, key: str, since: float = -math.inf) -> Window:
        """The rows after `since`; an empty window for a key never sampled."""
        with self._lock:
            ring = self._rings.get(key)
            return ring.window(since) if ring is not None else Window([], {})

    def last(self, key: str, n: int = 1) -> list[tuple[float, dict[str, float]]]:
        with self._lock:
            ring = self._rings.get(key)
            return ring.last(n) if ring is not None else []

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._rings)

    def forget(self, keep: set[str]) -> None:
        """Drop the rings of containers no longer there (removed); stopped ones keep their history."""
        with self._lock:
            for key in [k for k in self._rings if k not in keep]:
                del self._rings[key]

    def nbytes(self, key: str) -> int:
        with self._lock:
            ring = self._rings.get(key)
            return ring.nbytes() if ring is not None else 0
