"""Terminals from the daemon's side: an exec's master, which the daemon holds, and a container's, which its shim
holds (so that it outlives the daemon) and the daemon borrows to resize."""

import errno
import os
import select
import threading

from runtime.errors import Conflict, HostError
from runtime.linux.syscalls import pidfd_getfd
from runtime.shim.stdin import write_all
from runtime.shim.terminal import set_size

READ_SIZE = 65536
GATHER_FROM = 2048  # a read this long (of at most ~4 KiB a terminal gives) says output is flowing


class HeldTerminal:
    """An exec's terminal master. Writes, resizes and the close are serialized, so that none of them can reach a
    descriptor number that was closed meanwhile and given to another file."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()
        self._closed = False

    def read(self) -> bytes:
        """The next output, as much as is there (up to READ_SIZE); b"" once the process and everything that held
        its terminal are gone (EIO). A terminal gives at most 4 KiB per read, and a send per 4 KiB costs the
        client a wake-up each: gathering what is ready first doubled a burst's throughput (bench_terminal.py)."""
        data = _read_or_end(self.fd, READ_SIZE)
        if len(data) < GATHER_FROM:
            return data  # a keystroke's echo, a prompt: nothing more is coming at once, so no look
        while len(data) < READ_SIZE and select.select([self.fd], [], [], 0)[0]:
            more = _read_or_end(self.fd, READ_SIZE - len(data))
            if not more:
                break  # the end: the next read says so
            data += more
        return data

    def write(self, data: bytes) -> bool:
        """False once the terminal is closed or nothing holds its slave any more."""
        with self._lock:
            return not self._closed and write_all(self.fd, data)

    def resize(self, rows: int, columns: int) -> None:
        with self._lock:
            if not self._closed:
                set_size(self.fd, rows, columns)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self.fd)


def _read_or_end(fd: int, size: int) -> bytes:
    try:
        return os.read(fd, size)
    except OSError as e:
        if e.errno != errno.EIO:
            raise
        return b""


def _master_fd_of(shim_pid: int) -> int:
    """The number of the shim's descriptor on a terminal master (the container's devpts `ptmx`)."""
    fd_dir = f"/proc/{shim_pid}/fd"
    for name in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{name}").endswith("ptmx"):
                return int(name)
        except FileNotFoundError:
            continue
    raise HostError(f"porthole: resize: shim {shim_pid}: holds no terminal")


def resize_container_terminal(shim_pid: int, rows: int, columns: int) -> None:
    """Borrow the master from the container's shim (pidfd_getfd), set the size, give it back."""
    try:
        pidfd = os.pidfd_open(shim_pid)
    except ProcessLookupError:
        raise Conflict(f"porthole: resize: shim {shim_pid}: gone") from None
    try:
        master = pidfd_getfd(pidfd, _master_fd_of(shim_pid))
    except OSError as e:
        raise HostError(f"porthole: resize: shim {shim_pid}: cannot take its terminal: {e.strerror}") from None
    finally:
        os.close(pidfd)
    try:
        set_size(master, rows, columns)
    finally:
        os.close(master)
