"""Progress of an upload (import, load): bytes sent, of the total when it is known, with docker's bar, on stderr.

Modes (`--progress`): `auto` draws in place when stderr is a terminal and stays silent otherwise; `tty` always
draws in place; `plain` writes a line at most once a second and a last one at the end (for logs and pipes);
`none` never draws."""

from __future__ import annotations

import os
import stat
import sys
import time
from typing import BinaryIO, TextIO

from porthole.cli.output import human_size

MODES = ("auto", "tty", "plain", "none")
BAR_WIDTH = 50  # docker's jsonmessage progress bar
INTERVALS = {"tty": 0.1, "plain": 1.0}


def progress_bar(action: str, done: int, total: int | None) -> str:
    """`Uploading [=====>      ]  1.2MB/4.5MB  26%`, or `Uploading  1.2MB` when the total is unknown."""
    if not total:
        return f"{action}  {human_size(done)}"
    fraction = min(done / total, 1.0)
    filled = int(BAR_WIDTH * fraction)
    bar = "=" * filled + ">" + " " * (BAR_WIDTH - filled)
    return f"{action} [{bar}]  {human_size(done)}/{human_size(total)}  {int(fraction * 100)}%"


def resolve_mode(mode: str, out: TextIO) -> str:
    if mode == "auto":
        return "tty" if out.isatty() else "none"
    return mode


class ProgressLine:
    """One line of progress, redrawn (tty) or appended (plain) at most every INTERVALS[mode] seconds."""

    def __init__(self, action: str, total: int | None, mode: str, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.action, self.total, self.mode = action, total, resolve_mode(mode, self.out)
        self.drawn_at = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if self.mode != "none" and now - self.drawn_at >= INTERVALS[self.mode]:
            self.drawn_at = now
            self._draw(done, final=False)

    def finish(self, done: int) -> None:
        if self.mode != "none":
            self._draw(done, final=True)

    def _draw(self, done: int, final: bool) -> None:
        text = progress_bar(self.action, done, self.total)
        if self.mode == "tty":
            self.out.write("\r" + text + "\x1b[K" + ("\n" if final else ""))
        else:
            self.out.write(text + "\n")
        self.out.flush()


class ProgressReader:
    """A readable body for the HTTP client that counts what the client takes from `source` and draws it.
    Without a known size, requests sends it chunked; `SizedProgressReader` gives requests the length."""

    def __init__(self, source: BinaryIO, line: ProgressLine) -> None:
        self.source, self.line, self.done = source, line, 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        if data:
            self.done += len(data)
            self.line.update(self.done)
        return data

    def finish(self) -> None:
        self.line.finish(self.done)


class SizedProgressReader(ProgressReader):
    def __len__(self) -> int:
        return self.line.total or 0


def remaining_size(source: BinaryIO) -> int | None:
    """Bytes left in a regular file (a file argument, or stdin redirected from a file); None for a pipe."""
    try:
        info = os.fstat(source.fileno())
    except (OSError, ValueError):
        return None  # no descriptor (an in-memory stream): the size is unknown, as for a pipe
    if not stat.S_ISREG(info.st_mode):
        return None
    return max(info.st_size - source.tell(), 0)


def upload_body(source: BinaryIO, action: str, mode: str) -> ProgressReader:
    total = remaining_size(source)
    line = ProgressLine(action, total, mode)
    return SizedProgressReader(source, line) if total is not None else ProgressReader(source, line)
