"""The driver interface, its optional capabilities and the read request.

A driver needs only `log`, `close` and a `name`. What some drivers can do besides is a separate
runtime-checkable protocol that callers test for: taking whole batches, reading logs back, counting drops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from logdrivers.errors import LogDriverError
from logdrivers.message import LineBatch, Message

if TYPE_CHECKING:
    import threading


class LogDriver(Protocol):
    name: ClassVar[str]

    def log(self, msg: Message) -> None:
        """Store or ship one message; raise LogDriverError or OSError if it is lost."""

    def close(self) -> None:
        """Flush what is buffered and release files and connections."""


class BatchLogDriver(Protocol):
    def log_batch(self, batch: LineBatch) -> None:
        """Store complete lines read together; the copier's fast path (one call per read)."""


@dataclass(frozen=True, slots=True)
class DropCounts:
    lines: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """What `docker logs` asks for. Times are UTC nanoseconds since the epoch; 0 means unset."""

    since_ns: int = 0  # inclusive; once an entry matches, later ones are not filtered (Docker)
    until_ns: int = 0  # reading stops at the first entry after it
    tail: int | None = None  # the last N stored entries (pieces of a cut line count apart); None = all
    follow: bool = False
    stdout: bool = True
    stderr: bool = True
    stop: threading.Event | None = None  # set from another thread (client gone) to end a follower
    # Set by the reader once its starting point is fixed: a follower must not miss output it provokes itself
    # (an attach that feeds the container's stdin waits for it).
    started: threading.Event | None = None


@runtime_checkable
class LogReader(Protocol):
    def read_logs(self, cfg: ReadConfig, still_running: Callable[[], bool]) -> Iterator[Message]:
        """Stored entries in order; with cfg.follow, new ones until still_running() is False and all is read."""


class EntryWriter:
    """Hands entries to a driver: a batch whole if the driver takes batches, else line by line, so that a
    refused line loses only itself (Docker's per-message policy). Each loss goes to `on_failure(entries,
    cause)`; the writer never raises for a driver's LogDriverError or OSError."""

    def __init__(self, driver: LogDriver, on_failure: Callable[[int, Exception], None]) -> None:
        self._driver = driver
        # A BatchLogDriver's method, found by name: isinstance() against a runtime Protocol runs typing's
        # machinery, and in a shim every page that touches is a page copied for the container's lifetime.
        self._log_batch = getattr(driver, "log_batch", None)
        self._on_failure = on_failure

    def write(self, entry: LineBatch | Message) -> None:
        if isinstance(entry, Message):
            self._write_message(entry)
        elif self._log_batch is not None:
            try:
                self._log_batch(entry)
            except (LogDriverError, OSError) as exc:
                self._on_failure(entry.data.count(b"\n"), exc)
        else:
            for msg in entry.messages():
                self._write_message(msg)

    def _write_message(self, msg: Message) -> None:
        try:
            self._driver.log(msg)
        except (LogDriverError, OSError) as exc:
            self._on_failure(1, exc)


class DeliveryFailed(LogDriverError):
    """A ship() that failed after delivering the first `delivered` messages (the rest are to be sent again)."""

    def __init__(self, delivered: int, cause: BaseException) -> None:
        self.delivered = delivered
        self.cause = cause
        super().__init__(f"logdrivers: delivery failed after {delivered} messages: {cause}")


@runtime_checkable
class ShippingDriver(Protocol):
    """What a remote driver offers the shipper (logdrivers.shipping) besides `log`: batches and back-off."""

    def ship(self, messages: Sequence[Message]) -> int:
        """Deliver `messages` in order in one attempt; return how many were refused for good (never retried);
        raise DeliveryFailed (or OSError/LogDriverError: nothing is known delivered) if the attempt failed."""

    def retry_delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failed attempt in a row."""
