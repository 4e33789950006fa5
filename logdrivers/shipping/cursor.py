"""Following a json-file log by position, for shipping: what comes after a persisted point, in order.

A position names the file being read (device, inode), how far into it (uncompressed bytes) and, where files
are numbered (jsonfile.numbering), the number of the next line. Resuming finds that line again even if its
file has since been rotated, compressed or removed; moving from a file to its successor picks the file whose
numbering continues it, so a follower that fell behind by several rotations reads every file still there,
and the lines of files removed before it got to them are counted in `lost_lines` rather than skipped
silently. The file being read stays open, so a rotation that removes it takes nothing from the cursor.
"""

import logging
import os
from dataclasses import dataclass
from itertools import accumulate, repeat
from pathlib import Path

from logdrivers.errors import LogFileError
from logdrivers.jsonfile.decode import EntryDecoder
from logdrivers.jsonfile.sources import file_identity
from logdrivers.jsonfile.watch import DirectoryWatcher
from logdrivers.message import Message
from logdrivers.shipping.files import LogFileInfo, OpenLogFile, list_log_files

_log = logging.getLogger("logdrivers")


@dataclass(frozen=True, slots=True)
class Position:
    device: int
    inode: int
    offset: int  # bytes of the file consumed (uncompressed)
    line: int | None  # number of the next line to read; None where files are unnumbered


# Where one entry starts: (device, inode, offset, line), the fields of the Position just before it; a tuple
# because the shipper of a positioned driver makes one per entry (logdrivers.shipping.positioned).
EntryPosition = tuple[int, int, int, int | None]


def unread_bytes(log_path: Path, position: Position | None) -> int:
    """Bytes on disk not yet consumed: the rest of the position's file and every newer file (compressed
    files count their compressed size)."""
    files = list_log_files(log_path)
    if position is None:
        return sum(f.size for f in files)
    total, newer = 0, False
    for f in files:
        if f.identity == (position.device, position.inode):
            total += max(f.size - position.offset, 0)
            newer = True
        elif newer or (position.line is not None and f.first_line is not None and f.first_line >= position.line):
            total += f.size
            newer = True
    return total


class LogCursor:
    def __init__(self, log_path: Path, start: Position | None) -> None:
        self.log_path = log_path
        self.lost_lines = 0  # lines rotated away before the cursor reached them
        self._decoder = EntryDecoder()
        self._file: OpenLogFile | None = None
        self._lines: list[bytes] = []  # complete lines read from the current file; those before _next are consumed
        self._next = 0
        self._rest = b""  # read after the last newline: a line still being written
        self._start = start
        self._pinned: list[OpenLogFile] = []  # files held open for a removal, oldest first
        self._watcher = DirectoryWatcher(log_path.parent)

    @property
    def skipped_lines(self) -> int:
        """Lines that were no json-file entry (crash debris), passed over."""
        return self._decoder.skipped

    @property
    def position(self) -> Position | None:
        """Where the next read starts (None until a file was opened)."""
        if self._file is None:
            return self._start
        device, inode = self._file.identity
        unconsumed = len(self._rest) + sum(len(line) + 1 for line in self._lines[self._next :])
        return Position(device, inode, self._file.offset - unconsumed, self._file.next_line)

    def read(self, max_lines: int, positions: list[EntryPosition] | None = None) -> list[Message]:
        """Up to `max_lines` entries available now, in order; empty when the cursor is at the end. Given a
        list, `positions` gets the place of each entry returned (Position(*place) resumes right before it)."""
        if self._file is None and not self._open_start():
            return []
        messages: list[Message] = []
        while len(messages) < max_lines:
            assert self._file is not None
            start = self.position if positions is not None else None
            raws = self._take(max_lines - len(messages))
            if raws:
                decoded = self._decoder.decode_many(raws)
                if start is not None and positions is not None:
                    positions += _places(start, raws, len(decoded))
                messages += decoded
            elif not self._fill() and not self._advance():
                break
        return messages

    def _take(self, count: int) -> list[bytes]:
        assert self._file is not None
        raws = self._lines[self._next : self._next + count]
        self._next += len(raws)
        self._file.lines += len(raws)
        return raws

    def wait(self, timeout_s: float) -> None:
        """Until the log's directory changes, or at most `timeout_s`."""
        self._watcher.wait(timeout_s)

    def pin_remaining(self) -> None:
        """Open every file not yet read, so removing the log's directory takes nothing from the cursor (the
        writer must be done: the container has exited)."""
        if self._file is None and not self._open_start():
            return
        assert self._file is not None
        known = {self._file.identity, *(f.identity for f in self._pinned)}
        last = self._pinned[-1] if self._pinned else self._file
        for info in list_log_files(self.log_path):
            if info.identity in known or not _newer(info, last):
                continue
            opened = _open(info, 0, 0)
            if opened is not None:
                self._pinned.append(opened)
                last = opened

    def close(self) -> None:
        for pinned in self._pinned:
            pinned.close()
        self._pinned.clear()
        if self._file is not None:
            self._file.close()
            self._file = None
        self._watcher.close()

    # -- moving through files ------------------------------------------------------------------------
    def _fill(self) -> bool:
        assert self._file is not None
        block = self._file.read_block()
        if not block:
            return False
        self._file.offset += len(block)
        lines = (self._rest + block).split(b"\n")
        self._rest = lines.pop()
        self._lines = self._lines[self._next :] + lines if self._next < len(self._lines) else lines
        self._next = 0
        return True

    def _advance(self) -> bool:
        """At the end of the current file: move to its successor once the log has moved past it."""
        assert self._file is not None
        pinned = self._pinned[0] if self._pinned else None
        if pinned is None and self._is_current(self._file):
            return False  # still the file being written: nothing follows it yet
        successor = pinned.info if pinned is not None else self._successor(list_log_files(self.log_path))
        if successor is None:
            return False
        if self._fill():
            return True  # written before the rotation: read it first, then come back here
        opened = self._pinned.pop(0) if pinned is not None else _open(successor, 0, 0)
        if opened is None:
            return False  # removed by a rotation since the listing: the next read looks again
        if self._rest:
            _log.warning("logdrivers: %s: unterminated last line skipped", self._file.info.path)
            self._decoder.skipped += 1
        end = self._file.next_line
        self._replace(opened)
        if end is not None and successor.first_line is not None:
            self.lost_lines += successor.first_line - end
        return True

    def _is_current(self, opened: OpenLogFile) -> bool:
        """One stat instead of a listing for the common case, a cursor at the end of the live file."""
        try:
            return file_identity(os.stat(self.log_path)) == opened.identity
        except FileNotFoundError:
            return False  # between a rotation's rename and the new file (or removed)

    def _successor(self, files: list[LogFileInfo]) -> LogFileInfo | None:
        assert self._file is not None
        mine, end = self._file.identity, self._file.next_line
        if end is not None:
            newer = [f for f in files if f.identity != mine and f.first_line is not None and f.first_line >= end]
            return min(newer, key=lambda f: f.first_line or 0) if newer else None
        # Unnumbered: the file after ours in rotation order, or the newest if ours is gone.
        identities = [f.identity for f in files]
        if mine in identities:
            index = identities.index(mine)
            return files[index + 1] if index + 1 < len(files) else None
        return files[-1] if files else None

    def _open_start(self) -> bool:
        """Open the file holding the start position; False if there is none yet (or it just vanished)."""
        files = list_log_files(self.log_path)
        if not files:
            return False  # the shim has not created the log yet
        start = self._start
        if start is None:
            # A new shipper owes the log from its first line: what rotation removed before it began is lost.
            return self._begin(files[0], 0, 0, lost=files[0].first_line or 0)
        for f in files:
            if f.identity == (start.device, start.inode) and not f.path.name.endswith(".gz") and _holds(f, start):
                lines = 0 if start.line is None or f.first_line is None else start.line - f.first_line
                return self._begin(f, start.offset, lines)
        numbered = [f for f in files if f.first_line is not None]
        if start.line is None or not numbered:
            _log.warning("logdrivers: %s: the shipped position is gone; shipping from the oldest file", self.log_path)
            return self._begin(files[0], 0, 0)
        holders = [f for f in numbered if (f.first_line or 0) <= start.line]
        if not holders:
            oldest = min(numbered, key=lambda f: f.first_line or 0)
            return self._begin(oldest, 0, 0, lost=(oldest.first_line or 0) - start.line)
        holder = max(holders, key=lambda f: f.first_line or 0)
        if not self._begin(holder, 0, 0):
            return False
        self._skip_lines(start.line - (holder.first_line or 0))
        return True

    def _begin(self, info: LogFileInfo, offset: int, lines: int, lost: int = 0) -> bool:
        opened = _open(info, offset, lines)
        if opened is None:
            return False
        self._replace(opened)
        self.lost_lines += lost
        return True

    def _replace(self, opened: OpenLogFile) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._lines, self._next, self._rest = opened, [], 0, b""

    def _skip_lines(self, count: int) -> None:
        assert self._file is not None
        while self._file.lines < count:
            if not self._take(count - self._file.lines) and not self._fill():
                return


def _places(start: Position, raws: list[bytes], decoded: int) -> list[EntryPosition]:
    """The place of each raw line taken from `start` on, keeping those that decoded into an entry."""
    offsets = accumulate((len(raw) + 1 for raw in raws), initial=start.offset)
    lines = range(start.line, start.line + len(raws)) if start.line is not None else repeat(None)
    places = list(zip(repeat(start.device), repeat(start.inode), offsets, lines))[: len(raws)]
    if decoded == len(raws):
        return places
    # Damaged lines were skipped (rare): whether a line is an entry does not depend on the lines around it.
    return [place for place, raw in zip(places, raws, strict=True) if EntryDecoder().decode(raw) is not None]


def _open(info: LogFileInfo, offset: int, lines: int) -> OpenLogFile | None:
    """The file, or None if a rotation removed or replaced it since it was listed."""
    try:
        return OpenLogFile(info, offset, lines)
    except LogFileError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):
            return None
        raise


def _newer(info: LogFileInfo, than: OpenLogFile) -> bool:
    if info.first_line is not None and than.info.first_line is not None:
        return info.first_line > than.info.first_line
    return True  # unnumbered: listed oldest first, and files before ours are gone or known


def _holds(info: LogFileInfo, start: Position) -> bool:
    """Whether the file with the start's identity is still the same file (inode numbers are reused)."""
    if start.line is None or info.first_line is None:
        return True
    return info.first_line <= start.line
