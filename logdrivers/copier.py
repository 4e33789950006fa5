"""The copier: reads a container's stdout and stderr pipes and hands entries to a log driver.

Runs in the shim, a single-threaded process, so it is one poll loop over both pipes rather than a thread
per stream; as in Docker there is no ordering between the two streams. Each read takes up to 64 KiB and
stamps everything it completes with one read time (UTC, like Docker's time.Now() at read).
"""

import errno
import logging
import os
import select
import time
from collections.abc import Callable, Mapping

import msgspec

from logdrivers.driver import EntryWriter, LogDriver
from logdrivers.errors import LogDriverError
from logdrivers.failures import FailureCounter
from logdrivers.message import LineBatch, random_partial_id
from logdrivers.splitter import Entry, SplitState, split_chunk, split_eof, split_flush

READ_SIZE = 64 * 1024

_log = logging.getLogger("logdrivers")


class CopierStats(msgspec.Struct, gc=False):  # a Struct, as in logdrivers.message
    lines: int = 0  # complete lines and partial pieces handed to the driver
    bytes: int = 0  # bytes read from the pipes
    partial_chains: int = 0  # lines cut at 16 KiB or left unterminated (Docker's size_greater_than_buffer)
    failed_writes: int = 0  # entries the driver refused (logger_log_write_operations_failed)


class Copier:
    def __init__(
        self,
        streams: Mapping[str, int],
        driver: LogDriver,
        *,
        read_size: int = READ_SIZE,
        clock: Callable[[], int] = time.time_ns,
        new_partial_id: Callable[[], str] = random_partial_id,
        flush_partial_after: float | None = None,
        failures_path: str | None = None,
    ) -> None:
        """`streams` maps a source name ("stdout", "stderr") to the read end of its pipe or pty.

        The caller keeps ownership of the descriptors; the copier only reads them. With `flush_partial_after`
        (seconds), data that waited that long for its newline is handed on as a partial piece (a terminal's
        prompt); without, it waits for the newline, the 16 KiB cut or EOF, as in Docker. With `failures_path`,
        the count of lines the driver refused is saved there (logdrivers.dropstats) for the daemon's metrics.
        """
        self._sources = {fd: source for source, fd in streams.items()}
        self._driver = driver
        self._writer = EntryWriter(driver, self._count_failure)
        self._read_size = read_size
        self._clock = clock
        self._new_id = new_partial_id
        self._failures_path = failures_path
        self.stats = CopierStats()
        self._failures: FailureCounter | None = None  # made at the first failure, which most shims never see
        self._deadline: float | None = None
        self._wake_w: int | None = None  # set while run() runs
        self._flush_after = flush_partial_after
        self._unterminated_since: float | None = None  # when the oldest data still waiting for a newline came

    def stop_after(self, seconds: float) -> None:
        """Give up on streams still open `seconds` from now (Docker waits 10 s after the container exits:
        a daemonized grandchild can hold the pipe forever). Call it while run() runs, from another thread
        or from a signal handler (e.g. on SIGCHLD for the container's init)."""
        self._deadline = time.monotonic() + seconds
        wake_w = self._wake_w
        if wake_w is None:
            return  # run() has not started (it will see the deadline) or has finished
        try:
            os.write(wake_w, b"\0")
        except BlockingIOError:
            return  # the pipe is full of wake-ups already: the loop will see the deadline

    def run(self) -> None:
        """Copy until every stream reaches EOF (or the stop_after deadline), emit what is left
        unterminated, then close the driver."""
        # The wake pipe lets stop_after() interrupt a poll that has no timeout yet.
        wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        poller = select.poll()
        for fd in (*self._sources, wake_r):
            poller.register(fd, select.POLLIN)
        states = dict.fromkeys(self._sources, SplitState())
        try:
            while states:
                for fd, _ in poller.poll(self._poll_timeout_ms()):
                    if fd == wake_r:
                        self._drain_wakeups(wake_r)
                    elif fd in states:
                        self._copy(fd, states, poller)
                if self._flush_after is not None:
                    self._flush_if_due(states)
                if self._deadline is not None and time.monotonic() >= self._deadline:
                    _log.warning("logdrivers: copier stopped with streams open: logs may be truncated")
                    for fd in list(states):
                        self._deliver(split_eof(states.pop(fd), self._sources[fd], self._clock(), self._new_id))
        finally:
            wake_w, self._wake_w = self._wake_w, None
            os.close(wake_r)
            os.close(wake_w)
            self._close_driver()

    def _copy(self, fd: int, states: dict[int, SplitState], poller: select.poll) -> None:
        chunk = self._read(fd)
        now = self._clock()
        source = self._sources[fd]
        if chunk:
            self.stats.bytes += len(chunk)
            states[fd], entries = split_chunk(states[fd], chunk, source, now, self._new_id)
        else:
            entries = split_eof(states.pop(fd), source, now, self._new_id)
            poller.unregister(fd)
        self._deliver(entries)

    def _flush_if_due(self, states: dict[int, SplitState]) -> None:
        waiting = [fd for fd, state in states.items() if state.rest]
        if not waiting:
            self._unterminated_since = None
            return
        now = time.monotonic()
        if self._unterminated_since is None:
            self._unterminated_since = now
        if now - self._unterminated_since < self._flush_after:
            return
        self._unterminated_since = None
        for fd in waiting:
            states[fd], entries = split_flush(states[fd], self._sources[fd], self._clock(), self._new_id)
            self._deliver(entries)

    def _poll_timeout_ms(self) -> float | None:
        timeouts = []
        if self._deadline is not None:
            timeouts.append(self._deadline - time.monotonic())
        if self._unterminated_since is not None:
            timeouts.append(self._unterminated_since + self._flush_after - time.monotonic())
        return max(min(timeouts), 0.0) * 1000 if timeouts else None

    @staticmethod
    def _drain_wakeups(wake_r: int) -> None:
        try:
            while os.read(wake_r, 4096):
                continue
        except BlockingIOError:
            return  # drained; the deadline itself is checked by the loop

    def _read(self, fd: int) -> bytes:
        try:
            return os.read(fd, self._read_size)
        except OSError as exc:
            # A pty master reads EIO once the container side is closed: that is its EOF.
            if exc.errno == errno.EIO:
                return b""
            raise

    def _deliver(self, entries: list[Entry]) -> None:
        failed_before = self.stats.failed_writes
        for entry in entries:
            if isinstance(entry, LineBatch):
                self.stats.lines += entry.data.count(b"\n")
            else:
                self.stats.lines += 1
                self.stats.partial_chains += entry.partial is not None and entry.partial.ordinal == 1
            # A refused entry is dropped, counted and logged; as in Docker the copier never retries.
            self._writer.write(entry)
        if self._failures is not None and self.stats.failed_writes == failed_before:
            # the failures stopped (space returned): their last second is saved now, not at the shim's exit
            self._failures.save()

    def _close_driver(self) -> None:
        try:
            self._driver.close()
        except (LogDriverError, OSError) as exc:
            self._count_failure(0, exc)
        if self._failures is not None:
            self._failures.save()

    def _count_failure(self, entries: int, exc: Exception) -> None:
        self.stats.failed_writes += entries
        if self._failures is None:
            self._failures = FailureCounter(self._driver.name, self._failures_path)
        self._failures.count(entries, exc)
