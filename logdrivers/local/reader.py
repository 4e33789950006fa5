"""Reading a local-driver log back for `docker logs`: tail, since, until, streams, follow, across rotated and
compressed files, with the json-file reader's semantics (Docker's LogFile serves both): `tail` counts stored
entries before any filter, found from the end by each record's trailing size; a compressed file whose recorded
last time is before `since` is skipped unread; follow moves to the new file when the log rotates, after
finishing the old one, and ends once the container has stopped and the file is drained.
"""

import gzip
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from logdrivers.driver import ReadConfig
from logdrivers.errors import LogFileError
from logdrivers.jsonfile.gzipfile import read_last_time
from logdrivers.jsonfile.reader import WAKE_INTERVAL_S, EntryFilter
from logdrivers.jsonfile.sources import file_identity, open_successor, rotated_paths
from logdrivers.jsonfile.watch import DirectoryWatcher
from logdrivers.local.entry import FRAME, MAX_ENTRY, DamagedEntry, decode_entry
from logdrivers.message import Message

BLOCK = 256 * 1024


class RecordFile:
    """One log file's records from `start` on: a plain file read as it grows (a record still being written
    waits), or a compressed rotated file inflated whole (it is at most max-size)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.compressed = path.name.endswith(".gz")
        try:
            with open(path, "rb") as f:
                self.identity = file_identity(os.fstat(f.fileno()))
                self._data = gzip.decompress(f.read()) if self.compressed else None
            self._fd = -1 if self.compressed else os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (OSError, EOFError) as exc:
            raise LogFileError(path, "open", exc) from exc
        self.start = 0

    def size(self) -> int:
        return len(self._data) if self._data is not None else os.fstat(self._fd).st_size

    def _read(self, offset: int, size: int) -> bytes:
        if self._data is not None:
            return self._data[offset : offset + size]
        return os.pread(self._fd, size, offset)

    def keep_last(self, count: int, end: int | None = None) -> int:
        """Start at the last `count` records before `end`, walking back by their trailing sizes."""
        pos = self.size() if end is None else end
        found = 0
        while found < count and pos >= 2 * FRAME.size:
            (size,) = FRAME.unpack(self._read(pos - FRAME.size, FRAME.size))
            head = pos - 2 * FRAME.size - size
            if head < 0 or FRAME.unpack(self._read(head, FRAME.size))[0] != size:
                raise LogFileError(self.path, "read back", DamagedEntry("header and footer sizes differ"))
            pos, found = head, found + 1
        self.start = pos if count else (self.size() if end is None else end)
        return found

    def records(self, end: int | None = None) -> Iterator[bytes]:
        """The protobuf of each complete record from the read position to `end` (or what is there now)."""
        limit = self.size() if end is None else end
        while self.start + FRAME.size <= limit:
            (size,) = FRAME.unpack(self._read(self.start, FRAME.size))
            if size > MAX_ENTRY:
                raise LogFileError(self.path, "read", DamagedEntry(f"log message is too large ({size} > {MAX_ENTRY})"))
            total = size + 2 * FRAME.size
            if self.start + total > limit:
                return  # still being written
            yield self._read(self.start + FRAME.size, size)
            self.start += total

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _open(path: Path) -> RecordFile | None:
    try:
        return RecordFile(path)
    except LogFileError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):
            return None  # moved by a rotation in progress
        raise


class LocalReader:
    def __init__(self, log_path: Path) -> None:
        self.path = log_path

    def read_logs(self, cfg: ReadConfig, still_running: Callable[[], bool]) -> Iterator[Message]:
        watcher = DirectoryWatcher(self.path.parent) if cfg.follow and self.path.parent.is_dir() else None
        current = _open(self.path)
        sources = self._rotated(current)
        try:
            end = current.size() if current is not None else 0
            sources = self._position(sources, current, end, cfg)
        except BaseException:
            for source in [*sources, current]:
                if source is not None:
                    source.close()
            if watcher is not None:
                watcher.close()
            raise
        if cfg.started is not None:
            cfg.started.set()
        yield from self._entries(cfg, still_running, current, end, sources, watcher)

    def _rotated(self, current: RecordFile | None) -> list[RecordFile]:
        opened: list[RecordFile] = []
        for path in rotated_paths(self.path):
            source = _open(path)
            if source is None:
                continue
            if current is not None and source.identity == current.identity:
                source.close()
                break
            opened.append(source)
        return opened

    @staticmethod
    def _position(sources: list[RecordFile], current: RecordFile | None, end: int, cfg: ReadConfig) -> list[RecordFile]:
        if cfg.since_ns:
            kept = []
            for source in sources:
                last = read_last_time(source.path) if source.compressed else None
                if last is not None and last < cfg.since_ns:
                    source.close()
                else:
                    kept.append(source)
            sources = kept
        if cfg.tail is None:
            return sources
        remaining = cfg.tail
        if current is not None:
            remaining -= current.keep_last(remaining, end)
        kept = []
        for source in reversed(sources):
            if remaining <= 0:
                source.close()
                continue
            remaining -= source.keep_last(remaining)
            kept.append(source)
        return list(reversed(kept))

    def _entries(self, cfg, still_running, current, end, sources, watcher) -> Iterator[Message]:
        wanted = EntryFilter(cfg)

        def matching(records: Iterator[bytes]) -> Iterator[Message]:
            for body in records:
                msg = decode_entry(body)
                if wanted.accepts(msg):
                    yield msg
                if wanted.past_until:
                    return

        following = current
        try:
            for source in sources:
                yield from matching(source.records())
            if current is not None and not wanted.past_until:
                yield from matching(current.records(None if cfg.follow else end))
            while cfg.follow and watcher is not None and not wanted.past_until:
                running = still_running()  # asked before the drain: False then means all is written
                if following is not None:
                    yield from matching(following.records())
                successor = open_successor(self.path, following.identity if following else None, _open)
                if successor is not None:
                    if following is not None:
                        yield from matching(following.records())
                        following.close()
                    following = successor
                    continue
                if not running or (cfg.stop is not None and cfg.stop.is_set()):
                    return
                if cfg.until_ns and time.time_ns() > cfg.until_ns:
                    return
                watcher.wait(WAKE_INTERVAL_S)
        finally:
            for source in sources:
                source.close()
            if following is not None:
                following.close()
            if watcher is not None:
                watcher.close()
