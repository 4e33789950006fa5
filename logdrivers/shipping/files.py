"""The files of one json-file log as a shipper sees them: identity, place in the line numbering, size."""

import errno
import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from logdrivers.errors import LogFileError
from logdrivers.jsonfile.numbering import read_first_line
from logdrivers.jsonfile.sources import file_identity, rotated_paths

BLOCK = 256 * 1024


@dataclass(frozen=True, slots=True)
class LogFileInfo:
    path: Path
    identity: tuple[int, int]
    first_line: int | None  # None: unnumbered
    size: int  # on disk (compressed for .gz)


def list_log_files(log_path: Path) -> list[LogFileInfo]:
    """Rotated files oldest first, then the current file; files that vanish while listed are left out."""
    found: list[LogFileInfo] = []
    seen: set[tuple[int, int]] = set()
    for path in [*rotated_paths(log_path), log_path]:
        try:
            st = os.stat(path)
            first_line = read_first_line(path)
        except FileNotFoundError:
            continue  # moved by a rotation in progress; its content is under another name
        except OSError as exc:
            raise LogFileError(path, "stat", exc) from exc
        identity = file_identity(st)
        if identity not in seen:
            seen.add(identity)
            found.append(LogFileInfo(path, identity, first_line, st.st_size))
    return found


class OpenLogFile:
    """One log file being read from `offset` (uncompressed bytes) on; `lines` counts newlines consumed."""

    def __init__(self, info: LogFileInfo, offset: int = 0, lines: int = 0) -> None:
        self.info = info
        self.offset = offset
        self.lines = lines
        self.compressed = info.path.name.endswith(".gz")
        self._stream: BinaryIO | None = None
        self._raw: BinaryIO | None = None
        try:
            self._fd = os.open(info.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise LogFileError(info.path, "open", exc) from exc
        if file_identity(os.fstat(self._fd)) != info.identity:
            os.close(self._fd)
            gone = FileNotFoundError(errno.ENOENT, "replaced while opening", str(info.path))
            raise LogFileError(info.path, "open", gone) from gone  # the cause tells a reader to list again
        if self.compressed:
            self._raw = os.fdopen(self._fd, "rb")
            self._stream = gzip.GzipFile(fileobj=self._raw, mode="rb")
            self._skip_inflated(offset)

    @property
    def identity(self) -> tuple[int, int]:
        return self.info.identity

    @property
    def next_line(self) -> int | None:
        first = self.info.first_line
        return None if first is None else first + self.lines

    def read_block(self) -> bytes:
        """The next bytes after `offset` (empty at the current end); the caller advances `offset`."""
        try:
            if self._stream is not None:
                return self._stream.read(BLOCK)
            return os.pread(self._fd, BLOCK, self.offset)
        except (OSError, EOFError) as exc:
            raise LogFileError(self.info.path, "read", exc) from exc

    def size(self) -> int:
        return os.fstat(self._fd).st_size if self._stream is None else self.info.size

    def _skip_inflated(self, count: int) -> None:
        assert self._stream is not None
        while count > 0:
            skipped = len(self._stream.read(min(count, BLOCK)))
            if not skipped:
                return
            count -= skipped

    def close(self) -> None:
        if self._stream is not None and self._raw is not None:
            self._stream.close()  # GzipFile leaves the file object it was given open
            self._raw.close()
        else:
            os.close(self._fd)
