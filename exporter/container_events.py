"""The events each container went through, parsed once from `GET /events`: the last few of each kept for
the dashboard's container pages, and which of them mean the container must be inspected again."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Actions after which a container must be inspected again (new state, pid, restart count, name, limits, health).
_REINSPECT = frozenset(
    {"create", "start", "restart", "die", "oom", "stop", "kill", "pause", "unpause", "rename", "update", "destroy"}
    | {"health_status"}  # "health_status: healthy", matched without what follows the colon
)


@dataclass(frozen=True, slots=True)
class ContainerEvent:
    time: float  # unix seconds
    action: str  # start, die, oom, restart, kill, stop, pause, ...
    detail: str  # "exit code 1", "signal 15", or ""


# The attributes worth a word beside the action; the rest repeat labels and the image.
_DETAILS = (("exitCode", "exit code"), ("signal", "signal"), ("execID", "exec"))


def event_from_json(event: Mapping[str, Any]) -> tuple[str, ContainerEvent] | None:
    """(container id, event) from one `GET /events` object; None for events of other object types."""
    if event.get("Type", "container") != "container":
        return None
    actor = event.get("Actor") or {}
    container_id = actor.get("ID") or event.get("id")
    if not container_id:
        return None
    attributes = actor.get("Attributes") or {}
    detail = ", ".join(f"{word} {attributes[key]}" for key, word in _DETAILS if key in attributes)
    time_ns = event.get("timeNano") or int(event.get("time", 0)) * 1_000_000_000
    action = event.get("Action") or event.get("status") or ""
    return container_id, ContainerEvent(time=time_ns / 1e9, action=action, detail=detail)


def changes_container(event: ContainerEvent) -> bool:
    """After it, the container's state, pid, name or limits may differ from its last inspection."""
    return event.action.partition(":")[0] in _REINSPECT


class EventLog:
    """The last `kept` events of each container."""

    def __init__(self, kept: int = 100) -> None:
        self._kept = kept
        self._events: dict[str, deque[ContainerEvent]] = {}
        self._lock = threading.Lock()

    def add(self, container_id: str, event: ContainerEvent) -> None:
        with self._lock:
            events = self._events.get(container_id)
            if events is None:
                events = self._events[container_id] = deque(maxlen=self._kept)
            events.append(event)

    def of(self, container_id: str) -> list[ContainerEvent]:
        with self._lock:
            return list(self._events.get(container_id, ()))

    def keep_only(self, container_ids: set[str]) -> None:
        """Drop the events of removed containers."""
        with self._lock:
            for gone in [cid for cid in self._events if cid not in container_ids]:
                del self._events[gone]
