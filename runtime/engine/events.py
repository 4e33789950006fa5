"""The daemon's event stream (`docker events`): a bounded history for `since`, and live subscribers."""

import queue
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from runtime.engine.model import Container
from runtime.images.image import Image

HISTORY = 1024


@dataclass(frozen=True)
class Event:
    type: str  # container | image | network | volume
    action: str
    actor_id: str
    attributes: Mapping[str, str]
    time_ns: int


class Subscription:
    """`actions`: the only actions queued (None: all). An internal follower names what it handles, so the events
    it would drop (a health probe's three exec events, hundreds a second) never wake its thread."""

    def __init__(self, bus: "EventBus", actions: frozenset[str] | None = None) -> None:
        self._bus = bus
        self.actions = actions
        self.queue: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def wants(self, event: Event) -> bool:
        return self.actions is None or event.action in self.actions

    def next(self, timeout: float) -> Event | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._bus._unsubscribe(self)


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._history: deque[Event] = deque(maxlen=HISTORY)
        self._subscribers: list[Subscription] = []

    def publish(self, type_: str, action: str, actor_id: str, **attributes: str) -> Event:
        event = Event(type_, action, actor_id, attributes, time.time_ns())
        with self._lock:
            self._history.append(event)
            subscribers = list(self._subscribers)
        for s in subscribers:
            if s.wants(event):
                s.queue.put(event)
        return event

    def publish_container(self, container: Container, action: str, **extra: str) -> Event:
        """A container event with Docker's attributes: image, name, the container's labels, and `extra`."""
        attributes = {"image": container.image_ref, "name": container.name}
        attributes.update(container.config.get("Labels") or {})
        attributes.update(extra)
        return self.publish("container", action, container.id, **attributes)

    def publish_image(self, image: Image, action: str, name: str = "") -> Event:
        """An image event with Docker's attributes (moby's LogImageEvent): the image's labels, and a name (the
        image's id unless one is given)."""
        labels = image.container_config.get("Labels") or {}
        return self.publish("image", action, image.id, **{**labels, "name": name or image.id})

    def subscribe(
        self, since_ns: int | None, actions: frozenset[str] | None = None, until_ns: int | None = None
    ) -> tuple[list[Event], Subscription]:
        """Past events from `since_ns` to `until_ns`, and a subscription to what follows, with nothing lost
        between; only `actions` if given. Either bound alone replays the history up to it, as moby's
        loadBufferedEvents does; neither, none of it."""
        sub = Subscription(self, actions)
        with self._lock:
            past = (
                [e for e in self._history if _within(e.time_ns, since_ns, until_ns) and sub.wants(e)]
                if since_ns is not None or until_ns is not None
                else []
            )
            self._subscribers.append(sub)
        return past, sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def history(self) -> Iterator[Event]:
        with self._lock:
            return iter(list(self._history))


def _within(time_ns: int, since_ns: int | None, until_ns: int | None) -> bool:
    return (since_ns is None or time_ns >= since_ns) and (until_ns is None or time_ns <= until_ns)
