"""The shipper: one thread per container that follows the local log and delivers it through a remote driver.

It never blocks the container (the shim writes the local file whatever happens here), never drops a line
because the collector is down (it waits the driver's back-off and sends the same batch again), and records
its position after every delivered batch, so a daemon restart resumes where it stopped: at-least-once, with
at most one batch sent twice after a crash (SIGKILL between a send and its record). What the local log's
rotation removed before it was shipped is counted, as are lines the collector can never take.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from logdrivers.driver import DeliveryFailed, LogDriver, ShippingDriver
from logdrivers.errors import LogDriverError
from logdrivers.message import Message
from logdrivers.shipping.cursor import LogCursor, unread_bytes
from logdrivers.shipping.positioned import DocumentCounting, EntryBatch, EntryFeed, PositionedShippingDriver, Shipped
from logdrivers.shipping.state import ShipperStats, ShippingState, load_state, save_state

_log = logging.getLogger("logdrivers")
DEFAULT_RETRY_DELAY_S = 1.0  # for drivers without retry_delay()
REPORT_INTERVAL_S = 10.0


@dataclass(frozen=True, slots=True)
class ShipperConfig:
    batch_lines: int = 2048  # entries read and sent together: the most a crash can send twice
    fsync_interval_s: float = 1.0
    idle_wait_s: float = 0.1  # how long a caught-up shipper waits for the log to change
    removal_drain_s: float = 30.0  # after the container is removed, how long delivery is still tried


class Shipper:
    def __init__(
        self,
        *,
        container_id: str,
        container_name: str,
        driver_name: str,
        driver: LogDriver,
        log_path: Path,
        state_path: Path,
        still_running: Callable[[], bool],
        config: ShipperConfig = ShipperConfig(),
    ) -> None:
        self.container_id, self.container_name, self.driver_name = container_id, container_name, driver_name
        self._driver = driver
        self._log_path, self._state_path = log_path, state_path
        self._still_running = still_running
        self._config = config
        self._state = self._load_state(state_path, driver_name)
        if self._state.position is not None:
            self._state.counters.resumes += 1
        self._stop = threading.Event()
        self._poke = threading.Event()  # ends a back-off wait early: stop, or a removal that needs the thread
        self._finished = threading.Event()
        self._pin = threading.Event()
        self._pinned = threading.Event()
        self._removed_at: float | None = None
        self._oldest_unshipped_ns = 0
        self._retrying = False
        self._next_fsync = 0.0
        self._dirty = self._unsynced = self._state.position is not None  # the resume count changed
        self._next_report = 0.0
        self._lock = threading.Lock()  # counters and position, read by stats() from other threads
        self._thread = threading.Thread(target=self._run, name=f"ship-{container_id[:12]}", daemon=True)

    @staticmethod
    def _load_state(path: Path, driver_name: str) -> ShippingState:
        try:
            return load_state(path) or ShippingState(driver_name)
        except LogDriverError as exc:
            # Damaged: shipping restarts from the oldest line kept, so lines may be sent twice, none lost.
            _log.error("%s: shipping restarts from the start of the local log", exc)
            state = ShippingState(driver_name)
            state.counters.errors += 1
            return state

    # -- control, from the daemon's threads ----------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop now (daemon shutdown): the position is saved and shipping resumes at the next start."""
        self._stop.set()
        self._poke.set()
        self._close_driver()  # wakes a send blocked on a dead collector
        self._thread.join(timeout_s)

    @property
    def finished(self) -> bool:
        """The container is gone or stopped and everything it wrote is shipped (or counted as lost)."""
        return self._finished.is_set()

    def wait_finished(self, timeout_s: float) -> bool:
        return self._finished.wait(timeout_s)

    def container_removed(self, timeout_s: float = 5.0) -> None:
        """Call before the container's files are deleted: the shipper opens every file it has yet to read,
        so it can go on shipping them for `removal_drain_s`; then it stops saving its position."""
        with self._lock:
            self._removed_at = time.monotonic()  # from here on nothing is written into the directory
        self._pin.set()
        self._poke.set()
        if self._thread.is_alive():
            self._pinned.wait(timeout_s)

    def stats(self) -> ShipperStats:
        with self._lock:
            counters = replace(self._state.counters)
            position, oldest = self._state.position, self._oldest_unshipped_ns
        try:
            lag_bytes = unread_bytes(self._log_path, position) if self._removed_at is None else 0
        except LogDriverError:
            lag_bytes = 0  # the directory is being removed: nothing left to measure
        lag_seconds = max(time.time_ns() - oldest, 0) / 1e9 if oldest else 0.0
        documents = self._driver.document_counts() if isinstance(self._driver, DocumentCounting) else None
        return ShipperStats(
            self.container_id,
            self.container_name,
            self.driver_name,
            counters,
            lag_seconds,
            lag_bytes,
            self._retrying,
            documents,
        )

    # -- the thread --------------------------------------------------------------------------------------
    def _run(self) -> None:
        cursor = LogCursor(self._log_path, self._state.position)
        try:
            self._follow(cursor)
        except Exception:  # noqa: BLE001 - a broken shipper is logged and counted; the daemon goes on
            _log.exception("logdrivers: shipping %s through %s stopped", self.container_id[:12], self.driver_name)
            self._count_error()
        finally:
            self._pinned.set()
            cursor.close()
            self._save(force_sync=True)
            self._close_driver()
            self._finished.set()

    def _follow(self, cursor: LogCursor) -> None:
        feed = EntryFeed(cursor, positioned=isinstance(self._driver, PositionedShippingDriver))
        while not self._stop.is_set():
            self._serve_pin(cursor)
            running = self._still_running() and self._removed_at is None
            held = feed.held
            batch = feed.read(self._config.batch_lines)
            self._take_losses(cursor)
            if not batch:
                self._oldest_unshipped_ns = 0
                self._consumed(cursor)
                self._save()
                if not running:
                    return
                cursor.wait(self._config.idle_wait_s)
                continue
            taken = self._deliver(batch, cursor, final=not running)
            if taken is None:
                return
            feed.hold(batch.after(taken))
            if taken == 0:  # a positioned driver waits for more (a cut line's end, a fuller batch)
                if len(batch) == held:
                    cursor.wait(self._config.idle_wait_s)
                continue
            with self._lock:
                counters = self._state.counters
                counters.shipped_lines += taken
                counters.shipped_bytes += sum(len(msg.line) for msg in batch.messages[:taken])
                self._state.position = feed.position
                self._oldest_unshipped_ns = batch.messages[taken if feed.held else -1].timestamp_ns
                self._dirty = True
            self._save()

    def _consumed(self, cursor: LogCursor) -> None:
        """At the end of the log, record what was read without shipping (damaged lines, a move past a rotation
        loss), so a restart neither reads it again nor counts the loss twice."""
        position = cursor.position
        if position is not None and position != self._state.position:
            with self._lock:
                self._state.position = position
                self._dirty = True

    def _deliver(self, batch: EntryBatch, cursor: LogCursor, final: bool) -> int | None:
        """Until an attempt succeeds: how many entries were taken (all but what a positioned driver left for
        later); None if the shipper must stop."""
        remaining, failures, done = batch, 0, 0
        self._oldest_unshipped_ns = batch.messages[0].timestamp_ns
        while True:
            try:
                shipped = self._attempt(remaining, final)
                with self._lock:
                    self._state.counters.refused_lines += shipped.refused
                self._retrying = False
                return done + shipped.taken
            except DeliveryFailed as exc:
                remaining, cause = remaining.after(exc.delivered), exc.cause
                done += exc.delivered
            except Exception as exc:  # noqa: BLE001 - third-party drivers fail in any way; each is retried
                cause = exc
            failures += 1
            self._retrying = True
            self._count_error()
            self._report(failures, cause)
            if self._gave_up_after_removal(remaining.messages, cursor):
                return None
            delay = self._retry_delay(failures)
            if self._removed_at is not None:  # no wait past the removal's drain time
                delay = min(delay, max(self._removed_at + self._config.removal_drain_s - time.monotonic(), 0.0))
            self._poke.wait(delay)
            self._poke.clear()
            if self._stop.is_set():
                return None
            self._serve_pin(cursor)

    def _attempt(self, batch: EntryBatch, final: bool) -> Shipped:
        if batch.positions is not None:
            assert isinstance(self._driver, PositionedShippingDriver)
            return self._driver.ship_entries(batch.messages, batch.positions, final)
        if isinstance(self._driver, ShippingDriver):
            return Shipped(len(batch), self._driver.ship(batch.messages))
        for index, msg in enumerate(batch.messages):
            try:
                self._driver.log(msg)
            except Exception as exc:  # noqa: BLE001 - third-party drivers fail in any way
                raise DeliveryFailed(index, exc) from exc
        return Shipped(len(batch))

    def _retry_delay(self, failures: int) -> float:
        if isinstance(self._driver, (ShippingDriver, PositionedShippingDriver)):
            return self._driver.retry_delay(failures)
        return DEFAULT_RETRY_DELAY_S

    def _gave_up_after_removal(self, remaining: Sequence[Message], cursor: LogCursor) -> bool:
        if self._removed_at is None or time.monotonic() - self._removed_at < self._config.removal_drain_s:
            return False
        unsent = len(remaining)
        while more := cursor.read(self._config.batch_lines):
            unsent += len(more)
        with self._lock:
            self._state.counters.removed_unsent_lines += unsent
        _log.error(
            "logdrivers: %s removed: %d lines could not be shipped through %s",
            self.container_id[:12],
            unsent,
            self.driver_name,
        )
        return True

    def _serve_pin(self, cursor: LogCursor) -> None:
        if self._pin.is_set() and not self._pinned.is_set():
            cursor.pin_remaining()
            self._pinned.set()

    def _take_losses(self, cursor: LogCursor) -> None:
        if cursor.lost_lines:
            with self._lock:
                self._state.counters.rotated_away_lines += cursor.lost_lines
            _log.error(
                "logdrivers: %s: %d lines were rotated out of the local log before %s could ship them",
                self.container_id[:12],
                cursor.lost_lines,
                self.driver_name,
            )
            cursor.lost_lines = 0

    def _count_error(self) -> None:
        with self._lock:
            self._state.counters.errors += 1
            self._dirty = True

    def _report(self, failures: int, cause: BaseException) -> None:
        now = time.monotonic()
        if now < self._next_report:
            return
        self._next_report = now + REPORT_INTERVAL_S
        _log.warning(
            "logdrivers: shipping %s through %s: attempt %d failed: %s; lines wait in the local log",
            self.container_id[:12],
            self.driver_name,
            failures,
            cause,
        )

    def _save(self, force_sync: bool = False) -> None:
        """Record the state if it changed; fsync at most once per interval (and when stopping)."""
        now = time.monotonic()
        sync = (force_sync or now >= self._next_fsync) and (self._dirty or self._unsynced)
        if not self._dirty and not sync:
            return
        with self._lock:
            if self._removed_at is not None:
                return  # the directory is gone or going
            try:
                save_state(self._state_path, self._state, sync)
            except LogDriverError as exc:
                self._state.counters.errors += 1
                _log.error("%s", exc)
                return
            self._dirty = False
            self._unsynced = not sync
        if sync:
            self._next_fsync = now + self._config.fsync_interval_s

    def _close_driver(self) -> None:
        try:
            self._driver.close()
        except Exception as exc:  # noqa: BLE001 - third-party close; logged, the shipper is done with it
            _log.warning("logdrivers: closing the %s driver of %s: %s", self.driver_name, self.container_id[:12], exc)
