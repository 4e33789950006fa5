"""The files a read goes through, oldest first: name.N[.gz] ... name.1[.gz], then the current file.

Each is opened once at the start, so a rotation during the read cannot pull a file away: what was opened
is read to its end. Compressed files are inflated as a stream (never to a temporary file, Docker #41678).
"""

import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from logdrivers.errors import LogFileError
from logdrivers.jsonfile.gzipfile import read_last_time

BLOCK = 256 * 1024


def file_identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


class PlainSource:
    """A plain log file read from `start` on; an unterminated last line waits until its newline comes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise LogFileError(path, "open", exc) from exc
        self.identity = file_identity(os.fstat(self.fd))
        self.start = 0
        self._pending = b""

    def keep_last(self, count: int, end: int | None = None) -> int:
        """Start at the last `count` complete lines before `end` (default: the file's end); returns how
        many there are (at most `count`)."""
        end = self.size() if end is None else end
        if count == 0:
            self.start = end
            return 0
        pos, seen = end, 0
        # The last `count` lines begin after the (count+1)-th newline from the end (an unterminated
        # fragment at the end is no line yet, which this counting leaves out by itself).
        while pos > 0:
            size = min(BLOCK, pos)
            block = os.pread(self.fd, size, pos - size)
            in_block = block.count(b"\n")
            if seen + in_block > count:
                index = len(block)
                for _ in range(count + 1 - seen):
                    index = block.rfind(b"\n", 0, index)
                self.start = pos - size + index + 1
                return count
            seen += in_block
            pos -= size
        self.start = 0
        return seen

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def lines(self, end: int | None = None) -> Iterator[bytes]:
        """Complete lines from the read position to `end` or the end of the file (call again for more)."""
        while chunk := os.pread(self.fd, BLOCK if end is None else min(BLOCK, end - self.start), self.start):
            self.start += len(chunk)
            parts = (self._pending + chunk).split(b"\n")
            self._pending = parts.pop()
            yield from parts

    def close(self) -> None:
        os.close(self.fd)


class GzipSource:
    """A compressed rotated file; `skip` lines are passed over before the first one yielded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file: BinaryIO = open(path, "rb")
        except OSError as exc:
            raise LogFileError(path, "open", exc) from exc
        self.identity = file_identity(os.fstat(self._file.fileno()))
        self.skip = 0

    def last_time_ns(self) -> int | None:
        return read_last_time(self.path)

    def keep_last(self, count: int) -> int:
        total = sum(chunk.count(b"\n") for chunk in self._chunks())
        self.skip = max(total - count, 0)
        return min(total, count)

    def _chunks(self) -> Iterator[bytes]:
        self._file.seek(0)
        try:
            with gzip.GzipFile(fileobj=self._file, mode="rb") as inflated:
                while chunk := inflated.read(BLOCK):
                    yield chunk
        except (OSError, EOFError) as exc:
            raise LogFileError(self.path, "inflate", exc) from exc

    def lines(self) -> Iterator[bytes]:
        """Lines after the first `skip`; `skip` follows what was yielded, so a second call yields nothing
        already seen (a rotated file is complete: it is inflated again only to skip)."""
        pending, skip = b"", self.skip
        for chunk in self._chunks():
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            if skip >= len(parts):
                skip -= len(parts)
                continue
            for line in parts[skip:]:
                self.skip += 1
                yield line
            skip = 0

    def close(self) -> None:
        self._file.close()


Source = PlainSource | GzipSource


def rotated_paths(path: Path) -> list[Path]:
    """Rotated files oldest first; a plain `.i` wins over `.i.gz` (it exists while being compressed)."""
    by_index: dict[int, Path] = {}
    prefix = path.name + "."
    try:
        names = os.listdir(path.parent)
    except FileNotFoundError:
        return []
    for name in names:
        if not name.startswith(prefix):
            continue
        suffix = name[len(prefix) :]
        number = suffix.removesuffix(".gz")
        if number.isdigit() and (number == suffix or int(number) not in by_index):
            by_index[int(number)] = path.parent / name
    return [by_index[i] for i in sorted(by_index, reverse=True)]


def open_rotated(path: Path, current: tuple[int, int] | None) -> list[Source]:
    """Open the rotated files; if the current file was itself rotated meanwhile, stop short of it."""
    sources: list[Source] = []
    seen: set[tuple[int, int]] = set()
    for rotated in rotated_paths(path):
        source = _open_source(rotated)
        if source is None:
            continue  # shifted or compressed away since the listing; its content is under another name
        if source.identity == current or source.identity in seen:
            source.close()
            break
        seen.add(source.identity)
        sources.append(source)
    return sources


def _open_source(path: Path) -> Source | None:
    try:
        return GzipSource(path) if path.name.endswith(".gz") else PlainSource(path)
    except LogFileError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):
            return None  # moved by a rotation in progress: the caller looks again at its next wake-up
        raise


def open_successor(path: Path, current: tuple[int, int] | None, opener=None):
    """The file written after the one identified by `current`, once the log has rotated past it.

    Usually the new current file; but a follower that fell behind by more than one rotation finds its
    file among the rotated ones and continues with the next newer one, so no file is skipped. `opener` opens
    a path (None if it moved meanwhile); by default as a json-file Source (the local driver passes its own).
    """
    opener = opener or _open_source
    try:
        newest = file_identity(os.stat(path))
    except FileNotFoundError:
        newest = None  # with max-file=1, between the unlink and the new file
    if newest is not None and newest == current:
        return None
    if current is not None:
        rotated = rotated_paths(path)
        for index, candidate in enumerate(rotated):
            try:
                found = file_identity(os.stat(candidate)) == current
            except FileNotFoundError:
                continue
            if found and index + 1 < len(rotated):
                return opener(rotated[index + 1])
            if found:
                break
    return None if newest is None else opener(path)
