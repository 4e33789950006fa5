"""Waking a follower when the log changes: inotify on the log's directory, through ctypes.

The directory is watched (not the file) so one watch sees appends, the rename of a rotation and the
creation of the new file. If inotify is unavailable (its per-user instance limit, 128 by default, is
spent), the follower polls every POLL_INTERVAL_S instead: slower to wake, never wrong.
"""

import ctypes
import os
import select
import time
from pathlib import Path

POLL_INTERVAL_S = 0.02
# <sys/inotify.h>
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
_MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE


def _inotify_fd(directory: Path) -> int:
    libc = ctypes.CDLL(None, use_errno=True)  # the running interpreter's libc
    fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    if libc.inotify_add_watch(fd, os.fsencode(directory), _MASK) < 0:
        err = ctypes.get_errno()
        os.close(fd)
        raise OSError(err, f"inotify_add_watch {directory}")
    return fd


class DirectoryWatcher:
    def __init__(self, directory: Path) -> None:
        try:
            self._fd: int | None = _inotify_fd(directory)
            self._poller = select.poll()
            self._poller.register(self._fd, select.POLLIN)
        except OSError:
            self._fd = None  # polling fallback (see module docstring)

    def wait(self, timeout_s: float) -> None:
        """Return when something in the directory changed, or after at most `timeout_s`."""
        if self._fd is None:
            time.sleep(min(timeout_s, POLL_INTERVAL_S))
            return
        if self._poller.poll(timeout_s * 1000):
            self._drain()

    def _drain(self) -> None:
        assert self._fd is not None
        try:
            while os.read(self._fd, 64 * 1024):
                continue
        except BlockingIOError:
            return  # every queued event is read; which file changed does not matter to the follower

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
