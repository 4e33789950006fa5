"""The container list: each record with its latest numbers from the history, filtered and sorted.

The overview page and `GET /api/v1/containers` are both built here, so the page shows what scripts get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from exporter.records import ContainerRecord
from web.columns import cpu_percent
from web.errors import InvalidOption
from web.filters import ContainerFilter
from web.formatting import duration_text
from web.history import HistoryStore


@dataclass(frozen=True, slots=True)
class ContainerRow:
    record: ContainerRecord
    sampled_at: float | None  # when the numbers below were read; None if never
    cpu_percent: float | None  # of one core, over the last second
    memory_usage: float | None
    memory_limit: float | None  # None: no limit

    def uptime(self, now: float) -> float | None:
        if not self.record.live or self.record.started_at is None:
            return None
        return max(now - self.record.started_at, 0.0)

    def status(self, now: float) -> str:
        """As `docker ps` says it: 'Up 5 minutes', 'Exited (1) 2 hours ago', 'Restarting (1) 3 seconds ago'."""
        r = self.record
        if r.live:
            up = f"Up {duration_text(self.uptime(now))}"
            if r.state == "paused":
                return up + " (Paused)"
            return f"{up} ({'health: starting' if r.health == 'starting' else r.health})" if r.health else up
        if r.state in ("exited", "restarting", "dead") and r.finished_at is not None:
            return f"{r.state.capitalize()} ({r.exit_code}) {duration_text(max(now - r.finished_at, 0))} ago"
        return r.state.capitalize()

    def to_json(self, now: float) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id,
            "name": r.name,
            "image": r.image,
            "state": r.state,
            "status": self.status(now),
            "pid": r.pid,
            "created": r.created,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "uptime_seconds": self.uptime(now),
            "restart_count": r.restart_count,
            "restart_policy": r.restart_policy,
            "exit_code": r.exit_code,
            "oom_killed": r.oom_killed,
            "health": r.health,
            "labels": dict(r.labels),
            "sampled_at": self.sampled_at,
            "cpu_percent": self.cpu_percent,
            "memory_usage": self.memory_usage,
            "memory_limit": self.memory_limit,
        }


def _key_name(row: ContainerRow) -> Any:
    return row.record.name


_SORT_KEYS: dict[str, Callable[[ContainerRow], Any]] = {
    "name": _key_name,
    "image": lambda row: row.record.image,
    "state": lambda row: row.record.state,
    # the longest up first when descending; containers that are not up sort after the others
    "uptime": lambda row: None if row.uptime(0) is None else -(row.record.started_at or 0),
    "cpu": lambda row: row.cpu_percent,
    "memory": lambda row: row.memory_usage,
    "restarts": lambda row: row.record.restart_count,
    "created": lambda row: row.record.created,
}


@dataclass(frozen=True, slots=True)
class SortOrder:
    key: str = "name"
    descending: bool = False


def parse_sort(text: str) -> SortOrder:
    """`name`, `-cpu` (descending), ... ; empty: by name."""
    descending = text.startswith("-")
    key = text.lstrip("-") or "name"
    if key not in _SORT_KEYS:
        raise InvalidOption(f"web: invalid sort {text!r}: expected one of {', '.join(_SORT_KEYS)}, '-' to reverse")
    return SortOrder(key, descending)


def container_rows(
    records: Iterable[ContainerRecord], history: HistoryStore, only: ContainerFilter, order: SortOrder
) -> list[ContainerRow]:
    rows = [_row(record, history) for record in records if only.matches(record)]
    key = _SORT_KEYS[order.key]
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]  # always last, in name order
    known.sort(key=lambda row: (key(row), row.record.name), reverse=order.descending)
    unknown.sort(key=_key_name)
    return known + unknown


def _row(record: ContainerRecord, history: HistoryStore) -> ContainerRow:
    last = history.last(record.id, 2)
    if not last or not record.live:
        return ContainerRow(record, last[-1][0] if last else None, None, None, None)
    t, values = last[-1]
    if values.get("pid") != record.pid:  # the numbers of its previous process, before a restart
        return ContainerRow(record, t, None, None, None)
    return ContainerRow(record, t, cpu_percent(last), values.get("memory.usage"), values.get("memory.limit"))
