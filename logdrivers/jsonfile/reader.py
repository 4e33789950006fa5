"""Reading a json-file log back for `docker logs` and attach: tail, since, until, streams, follow.

Runs in the daemon, while the shim may be writing and rotating. Semantics are Docker's: `tail` counts
stored entries across rotated and compressed files, before any filter; `since` is inclusive and, once an
entry passes it, is not applied again (timestamps need not be monotonic); the first entry after `until`
ends the read; only then are streams filtered. Follow reads on from the end, moves to the new file when
the log rotates (after finishing the old one), and ends once `still_running()` has turned False and the
file is drained, or when `cfg.stop` is set.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from logdrivers.driver import ReadConfig
from logdrivers.errors import LogFileError
from logdrivers.jsonfile.decode import EntryDecoder
from logdrivers.jsonfile.sources import GzipSource, PlainSource, Source, open_rotated, open_successor
from logdrivers.jsonfile.watch import DirectoryWatcher
from logdrivers.message import Message

WAKE_INTERVAL_S = 0.1  # how long a waiting follower goes without checking cfg.stop and still_running()

_log = logging.getLogger("logdrivers")


class EntryFilter:
    def __init__(self, cfg: ReadConfig) -> None:
        self._since = cfg.since_ns
        self._until = cfg.until_ns
        self._streams = {name for name, wanted in (("stdout", cfg.stdout), ("stderr", cfg.stderr)) if wanted}
        self.past_until = False

    def accepts(self, msg: Message) -> bool:
        if self._since:
            if msg.timestamp_ns < self._since:
                return False
            self._since = 0
        if self._until and msg.timestamp_ns > self._until:
            self.past_until = True
            return False
        return msg.source in self._streams


def _ends_before(source: Source, since_ns: int) -> bool:
    """Whether a compressed file's recorded last entry is older than `since` (plain files carry no record)."""
    if not isinstance(source, GzipSource):
        return False
    last = source.last_time_ns()
    return last is not None and last < since_ns


class JsonFileReader:
    def __init__(self, log_path: Path) -> None:
        self.path = log_path
        self.skipped_lines = 0  # over all reads: lines that were no entry (crash debris), skipped

    def read_logs(self, cfg: ReadConfig, still_running: Callable[[], bool]) -> Iterator[Message]:
        """A generator: files are opened at the first next() and closed when it ends or is closed."""
        # Watch before opening anything, so no change between the first read and the first wait is missed.
        watcher = DirectoryWatcher(self.path.parent) if cfg.follow else None
        current: PlainSource | None = None
        sources: list[Source] = []
        try:
            current = self._open_current()
            sources = open_rotated(self.path, current.identity if current else None)
            current_end = current.size() if current else 0
            sources = self._position(sources, current, current_end, cfg)
        except BaseException:
            self._close(current, sources, watcher)
            raise
        if cfg.started is not None:
            cfg.started.set()
        yield from self._entries(cfg, still_running, current, current_end, sources, watcher)

    def _open_current(self) -> PlainSource | None:
        try:
            return PlainSource(self.path)
        except LogFileError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                return None  # not started yet, or between unlink and create with max-file=1
            raise

    def _position(
        self, sources: list[Source], current: PlainSource | None, current_end: int, cfg: ReadConfig
    ) -> list[Source]:
        """Drop what the read cannot need and place each kept file at its first wanted line."""
        if cfg.since_ns:
            # A compressed file whose last entry is older than `since` is skipped unread, as Docker does.
            sources = self._drop(sources, [s for s in sources if _ends_before(s, cfg.since_ns)])
        if cfg.tail is None:
            return sources
        remaining = cfg.tail
        if current is not None:
            remaining -= current.keep_last(remaining, current_end)
        kept: list[Source] = []
        for source in reversed(sources):
            if remaining == 0:
                break
            remaining -= source.keep_last(remaining)
            kept.append(source)
        return self._drop(sources, [s for s in sources if s not in kept])

    @staticmethod
    def _drop(sources: list[Source], dropped: list[Source]) -> list[Source]:
        for source in dropped:
            source.close()
        return [s for s in sources if s not in dropped]

    def _entries(
        self,
        cfg: ReadConfig,
        still_running: Callable[[], bool],
        current: PlainSource | None,
        current_end: int,
        sources: list[Source],
        watcher: DirectoryWatcher | None,
    ) -> Iterator[Message]:
        decoder, wanted = EntryDecoder(), EntryFilter(cfg)

        def matching(lines: Iterable[bytes]) -> Iterator[Message]:
            for raw in lines:
                msg = decoder.decode(raw)
                if msg is not None and wanted.accepts(msg):
                    yield msg
                if wanted.past_until:
                    return

        following: Source | None = current  # replaced as the log rotates; the one to close at the end
        try:
            for source in sources:
                yield from matching(source.lines())
            if current is not None and not wanted.past_until:
                yield from matching(current.lines(None if cfg.follow else current_end))
            while cfg.follow and watcher is not None and not wanted.past_until:
                running = still_running()  # asked before the drain: False then means all is written
                if following is not None:
                    yield from matching(following.lines())
                successor = open_successor(self.path, following.identity if following else None)
                if successor is not None:
                    if following is not None:
                        yield from matching(following.lines())  # what was written before the rotation
                        following.close()
                    following = successor
                    continue
                if not running or (cfg.stop is not None and cfg.stop.is_set()):
                    return
                if cfg.until_ns and time.time_ns() > cfg.until_ns:
                    return  # nothing read from now on can fall inside the window
                watcher.wait(WAKE_INTERVAL_S)
        finally:
            self._close(following, sources, watcher)
            self.skipped_lines += decoder.skipped
            if decoder.skipped:
                _log.warning("logdrivers: read %s: skipped %d damaged lines", self.path, decoder.skipped)

    @staticmethod
    def _close(current: Source | None, sources: list[Source], watcher: DirectoryWatcher | None) -> None:
        for source in sources:
            source.close()
        if current is not None:
            current.close()
        if watcher is not None:
            watcher.close()
