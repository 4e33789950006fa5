"""mode=non-blocking: the copier only queues, a thread feeds the driver, overflow is dropped and counted.

Docker's ringLogger, with its documented trade-off kept: when an entry would take the queue past
max-buffer-size (counting line bytes only, not newlines) the NEW entry is dropped, except that an empty
queue always takes one entry. Unlike Docker, every dropped line and byte is counted (`drops()`), so the
loss can be exported instead of discovered.
"""

import threading
import time
from collections import deque
from pathlib import Path

from logdrivers.driver import DropCounts, EntryWriter, LogDriver
from logdrivers.dropstats import read_drop_stats, write_drop_stats
from logdrivers.errors import LogFileError
from logdrivers.failures import FailureCounter
from logdrivers.message import LineBatch, Message

SAVE_INTERVAL_S = 1.0  # how often the drop counts reach the stats file while drops happen


class NonBlockingDriver:
    def __init__(
        self, inner: LogDriver, max_bytes: int, stats_path: Path | None = None, failures_path: str | None = None
    ) -> None:
        """With `stats_path`, drop counts start from what that file holds and are saved there (dropstats); with
        `failures_path`, so are the lines the driver refused."""
        self.name = inner.name
        self._inner = inner
        self._max_bytes = max_bytes
        self._queue: deque[tuple[LineBatch | Message, int]] = deque()
        self._queued_bytes = 0
        self._closing = False
        self.failures = FailureCounter(inner.name, failures_path)
        self._stats_path = stats_path
        self._dropped = self._saved = self._load_drops()
        self._next_save = 0.0
        self._changed = threading.Condition()
        # As in Docker a refused entry is not retried; unlike Docker it is counted.
        self._writer = EntryWriter(inner, self.failures.count)
        self._worker = threading.Thread(target=self._feed, name=f"logdrivers-{inner.name}", daemon=True)
        self._worker.start()

    def log(self, msg: Message) -> None:
        size = len(msg.line)
        with self._changed:
            if self._queue and self._queued_bytes + size > self._max_bytes:
                self._drop(1, size)
                return
            self._enqueue(msg, size)

    def log_batch(self, batch: LineBatch) -> None:
        lines = batch.data.count(b"\n")
        size = len(batch.data) - lines
        with self._changed:
            room = self._max_bytes - self._queued_bytes
            if size <= room or not self._queue:
                self._enqueue(batch, size)
                return
            # Keep the lines that fit; newlines are counted here too, which errs by a line at most.
            cut = batch.data.rfind(b"\n", 0, max(room, 0)) + 1
            kept = batch.data[:cut].count(b"\n")
            if kept:
                self._enqueue(LineBatch(batch.source, batch.timestamp_ns, batch.data[:cut]), cut - kept)
            self._drop(lines - kept, size - (cut - kept))

    def drops(self) -> DropCounts:
        with self._changed:
            return self._dropped

    def close(self) -> None:
        """Deliver everything still queued, then close the wrapped driver (Docker drains on Close too)."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._worker.join()
        self._save_drops()
        self.failures.save()
        self._inner.close()

    def _enqueue(self, entry: LineBatch | Message, size: int) -> None:
        self._queue.append((entry, size))
        self._queued_bytes += size
        self._changed.notify()

    def _drop(self, lines: int, size: int) -> None:
        self._dropped = DropCounts(self._dropped.lines + lines, self._dropped.bytes + size)

    def _feed(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._closing:
                    # Drops happen without waking the worker; it looks at them once a second.
                    self._changed.wait(SAVE_INTERVAL_S if self._stats_path is not None else None)
                    if self._dropped != self._saved:
                        break
                if not self._queue and self._closing:
                    return
                entry = None
                if self._queue:
                    entry, size = self._queue.popleft()
                    self._queued_bytes -= size
            if entry is not None:
                self._writer.write(entry)
            if self._dropped != self._saved and time.monotonic() >= self._next_save:
                self._save_drops()

    def _load_drops(self) -> DropCounts:
        if self._stats_path is None:
            return DropCounts()
        try:
            return read_drop_stats(self._stats_path)
        except LogFileError as exc:
            self.failures.count(0, exc)  # a damaged file restarts the count; the error is logged
            return DropCounts()

    def _save_drops(self) -> None:
        dropped = self.drops()
        if self._stats_path is None or dropped == self._saved:
            return
        self._next_save = time.monotonic() + SAVE_INTERVAL_S
        try:
            write_drop_stats(self._stats_path, dropped)
        except LogFileError as exc:
            self.failures.count(0, exc)
            return
        self._saved = dropped
