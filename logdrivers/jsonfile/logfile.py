"""The json-file log on disk: one O_APPEND file plus numbered rotations, managed as Docker's LogFile.

Rotation happens before a write, at the first entry that would start at or past max-size, so a file
exceeds max-size by at most one entry and holds exactly the entries Docker's would. Rotating shifts
`.1`..`.N-1` (or `.gz`) up by one, renames the current file to `.1` and starts an empty one; with
max-file=1 the current file is dropped instead. `.1` is then gzipped on a thread (zlib releases the GIL),
and the next rotation waits for it, as Docker's rotateMu does.
"""

import logging
import os
import threading
from collections.abc import Sequence

from logdrivers.errors import LogFileError
from logdrivers.jsonfile.gzipfile import compress_file
from logdrivers.jsonfile.numbering import count_lines, create_numbered, read_first_line, write_first_line

_log = logging.getLogger("logdrivers")


class RotatingLogFile:
    def __init__(
        self,
        path: str | os.PathLike[str],
        max_size: int | None,
        max_file: int,
        compress: bool,
        mode: int = 0o640,
        numbered: bool = True,
    ):
        """`numbered`: record line numbers across rotations (numbering); only for files of lines."""
        self.path = os.fspath(path)
        self._numbered = numbered
        self._max_size = max_size
        self._max_file = max_file
        self._compress = compress
        self._mode = mode
        self._fd, self._first_line = self._open_current()
        # An existing file (daemon or shim restart) counts toward max-size, as in Docker.
        self._size = os.fstat(self._fd).st_size
        self._last_timestamp_ns: int | None = None
        self._compressing: threading.Thread | None = None

    def write(self, data: bytes, timestamp_ns: int) -> None:
        """Append whole entries (each ending in b"\\n") stamped `timestamp_ns`, rotating where Docker would."""
        self.write_parts((data,), timestamp_ns)

    def write_parts(self, parts: Sequence[bytes | memoryview], timestamp_ns: int) -> None:
        """As write(), for entries given as consecutive pieces: written with one writev(), no joining copy."""
        total = sum(map(len, parts))
        if self._max_size is None or total <= self._max_size - self._size:
            self._append(parts, total, timestamp_ns)
            return
        data = b"".join(parts)  # this write crosses max-size: cut it where Docker would rotate
        while data:
            room = self._max_size - self._size
            if room <= 0:
                self._rotate()
                continue
            # The first entry that starts at offset >= room belongs to the next file.
            cut = data.find(b"\n", room - 1) + 1
            if 0 < cut < len(data):
                self._append((data[:cut],), cut, timestamp_ns)
                data = data[cut:]
                continue
            self._append((data,), len(data), timestamp_ns)
            return

    def write_entries(self, entries: Sequence[bytes], timestamp_ns: int) -> None:
        """Append entries of any content (binary ones: the local driver's), each rotated as Docker does: before an
        entry, if the file has reached max-size."""
        max_size = self._max_size
        if max_size is None or sum(map(len, entries)) < max_size - self._size:
            self._append(entries, sum(map(len, entries)), timestamp_ns)
            return
        pending: list[bytes] = []
        pending_size = 0
        for entry in entries:
            if self._size + pending_size >= max_size:
                if pending:
                    self._append(pending, pending_size, timestamp_ns)
                    pending, pending_size = [], 0
                self._rotate()
            pending.append(entry)
            pending_size += len(entry)
        if pending:
            self._append(pending, pending_size, timestamp_ns)

    def close(self) -> None:
        os.close(self._fd)
        if self._compressing is not None:
            self._compressing.join()

    def _open_current(self) -> tuple[int, int | None]:
        """The existing log (restart) or a new one numbered 0 (numbering: line numbers across rotations)."""
        if not os.access(self.path, os.F_OK):  # rather than catching FileNotFoundError: cheaper in a shim
            first = 0 if self._numbered else None
            return self._create(first), first
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        except OSError as exc:
            raise LogFileError(self.path, "open", exc) from exc
        if not self._numbered:
            return fd, None
        try:
            os.fchmod(fd, self._mode)
            first_line = read_first_line(fd)
            if first_line is None and write_first_line(fd, 0):
                first_line = 0  # a log from before numbering: counting starts here
        except OSError as exc:
            os.close(fd)
            raise LogFileError(self.path, "open", exc) from exc
        return fd, first_line

    def _create(self, first_line: int | None) -> int:
        try:
            return create_numbered(self.path, first_line, self._mode)
        except OSError as exc:
            raise LogFileError(self.path, "open", exc) from exc

    def _append(self, parts: Sequence[bytes | memoryview], total: int, timestamp_ns: int) -> None:
        written = 0
        try:
            while written < total:
                written += os.writev(self._fd, _after(parts, written))
        except OSError as exc:
            if written:
                self._cut_back()
            raise LogFileError(self.path, "write", exc) from exc
        self._size += written
        self._last_timestamp_ns = timestamp_ns

    def _cut_back(self) -> None:
        """After a write failed part-way (ENOSPC, EFBIG, EIO), cut the file back to where that write began: a
        torn entry would swallow the next one written (its line would run on from the torn one, and readers
        skip the damaged line), and the caller counts the whole write as lost."""
        try:
            os.ftruncate(self._fd, self._size)
        except OSError as exc:
            self._size = os.fstat(self._fd).st_size
            _log.error("logdrivers: cut back %s after a failed write: %s: a torn entry remains", self.path, exc)

    def _rotate(self) -> None:
        next_first_line = self._next_first_line()
        os.close(self._fd)
        if self._compressing is not None:
            self._compressing.join()
            self._compressing = None
        try:
            self._shift_rotated_files()
        except OSError as exc:
            # As Docker: the current file is started afresh anyway, so logging goes on.
            _log.error("logdrivers: rotate %s: %s: log data may have been lost", self.path, exc)
        self._fd = self._create(next_first_line)
        self._first_line = next_first_line
        self._size = 0
        if self._compress:
            self._compressing = threading.Thread(
                target=self._compress_first, args=(self._last_timestamp_ns,), name="logdrivers-gzip"
            )
            self._compressing.start()
        self._last_timestamp_ns = None

    def _next_first_line(self) -> int | None:
        if self._first_line is None:
            return None
        try:
            return self._first_line + count_lines(self.path)  # at most max-size bytes, just written: cached
        except OSError as exc:
            _log.error("logdrivers: count lines of %s: %s: later files are unnumbered", self.path, exc)
            return None

    def _shift_rotated_files(self) -> None:
        if self._max_file < 2:
            _remove(self.path)
            return
        ext = ".gz" if self._compress else ""
        _remove(f"{self.path}.{self._max_file - 1}{ext}")
        for index in range(self._max_file - 1, 1, -1):
            older = f"{self.path}.{index - 1}{ext}"
            if os.path.exists(older):
                os.rename(older, f"{self.path}.{index}{ext}")
        os.rename(self.path, f"{self.path}.1")

    def _compress_first(self, last_timestamp_ns: int | None) -> None:
        rotated = f"{self.path}.1"
        try:
            compress_file(rotated, f"{rotated}.gz", last_timestamp_ns, self._mode)
        except OSError as exc:
            # The plain .1 stays readable; only the disk saving is lost.
            _log.error("logdrivers: compress %s: %s", rotated, exc)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return


def _after(parts: Sequence[bytes | memoryview], offset: int) -> Sequence[bytes | memoryview]:
    """The pieces left once `offset` bytes are written (a short write of a regular file is rare)."""
    if offset == 0:
        return parts
    rest: list[bytes | memoryview] = []
    for part in parts:
        if offset >= len(part):
            offset -= len(part)
            continue
        rest.append(memoryview(part)[offset:])
        offset = 0
    return rest
