"""Terminals from the daemon's side: an exec's master, which the daemon holds, and a container's, which its shim
holds (so that it outlives the daemon) and the daemon borrows to resize."""

import errno
import io
import os
import select
import threading
import time

from runtime.errors import Conflict, HostError
from runtime.linux.syscalls import pidfd_getfd
from runtime.shim.stdin import write_all
from runtime.shim.terminal import set_size

READ_SIZE = 65536
GATHER_FROM = 2048  # a read this long (of at most ~4 KiB a terminal gives) says output is flowing
# While output flows, how long a gathering read waits for the terminal's next 4 KiB (moved by a kernel worker that
# the last read woke): 1 ms, poll()'s least wait above none, at the end of each burst and of each full-screen redraw.
GATHER_WAIT_MS = 1
GATHER_FOR_S = 0.005  # and how long it gathers at most: a trickle that never pauses for 1 ms still shows


class HeldTerminal:
    """An exec's terminal master. Writes, resizes and the close are serialized, so that none of them can reach a
    descriptor number that was closed meanwhile and given to another file. One thread reads the output."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()
        self._closed = False
        # The output is read into one buffer, over and over: a burst makes no bytes object per read, and what
        # its reads give is gathered where it lands, not copied again to be joined (bench_terminal.py).
        self._master = io.FileIO(fd, "r", closefd=False)
        self._buffer = memoryview(bytearray(READ_SIZE))
        self._output_ready = select.poll()
        self._output_ready.register(fd, select.POLLIN)

    def read(self) -> memoryview:
        """The next output, as much as comes at once (up to READ_SIZE), valid until the next read; empty once
        the process and everything that held its terminal are gone (EIO). A terminal gives at most 4 KiB per read,
        and a send per 4 KiB costs the client a wake-up each: gathering what is ready doubled a burst's throughput,
        and waiting for what is on its way (GATHER_WAIT_MS) cut the sends of a 10 MB burst from ~750 to ~190
        (bench_terminal.py). What is read waits GATHER_FOR_S + GATHER_WAIT_MS at most."""
        size = self._read_into(0)
        if size < GATHER_FROM:
            return self._buffer[:size]  # a keystroke's echo, a prompt: nothing more is coming at once, so no wait
        deadline = time.monotonic() + GATHER_FOR_S
        while size < READ_SIZE and time.monotonic() < deadline and self._output_ready.poll(GATHER_WAIT_MS):
            more = self._read_into(size)
            if not more:
                break  # the end: the next read says so
            size += more
        return self._buffer[:size]

    def _read_into(self, offset: int) -> int:
        try:
            return self._master.readinto(self._buffer[offset:])
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            return 0

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
