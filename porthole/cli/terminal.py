"""The local side of `run -it`, `exec -it` and `attach`: the terminal this command runs in, put in raw mode while
attached (every key goes to the container's terminal, which does the echo and the line editing), and its window
size sent to the container's or the exec's terminal at the start and on each SIGWINCH, as the docker CLI does."""

from __future__ import annotations

import fcntl
import os
import queue
import signal
import struct
import sys
import termios
import threading
import tty
from collections.abc import Callable

Resize = Callable[[int, int], None]  # (rows, columns) → the daemon's resize endpoint


class RawMode:
    """The terminal on `fd` in raw mode inside the block, restored after it; nothing if `fd` is no terminal."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.saved: list | None = None

    def __enter__(self) -> RawMode:
        if os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd, termios.TCSANOW)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


def window_size(fd: int) -> tuple[int, int] | None:
    """(rows, columns) of the terminal on `fd`, None if it is no terminal."""
    try:
        rows, columns, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    return rows, columns


class WindowSizeFollower:
    """Sends stdout's window size through `resize` now and after each SIGWINCH. The handler only queues (it must
    not use the connection pool the interrupted code may hold); a thread makes the call."""

    def __init__(self, resize: Resize, report: Callable[[BaseException], None]) -> None:
        self.resize, self.report = resize, report
        self.changes: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self.previous: object = None

    def __enter__(self) -> WindowSizeFollower:
        if window_size(sys.stdout.fileno()) is None:
            return self
        threading.Thread(target=self._follow, name="window-size", daemon=True).start()
        self.changes.put(True)
        self.previous = signal.signal(signal.SIGWINCH, lambda *_: self.changes.put(True))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGWINCH, self.previous)  # type: ignore[arg-type]
        self.changes.put(False)

    def _follow(self) -> None:
        while self.changes.get():
            size = window_size(sys.stdout.fileno())
            if size is None or size == (0, 0):
                continue
            try:
                self.resize(*size)
            except Exception as e:  # a resize that fails (the process just ended) is no reason to end the session
                self.report(e)
