"""Attached stdin (`docker run -i`): the daemon writes what a client sends into a FIFO beside the spec, and a
thread of the shim copies it into the container's stdin pipe. The shim holds the pipe, not the daemon, so the
container's stdin stays open across a daemon restart, as its stdout and stderr do. With a terminal (-t) the thread
writes into the terminal's master instead."""

import _thread
import errno
import os
import signal

FIFO_MODE = 0o600  # root's daemon writes it; nobody else may feed a container's stdin


def make_fifo(path: str) -> None:
    """The FIFO a restarted container reuses, or a new one."""
    try:
        os.mkfifo(path, FIFO_MODE)
    except FileExistsError:
        return


def start_forwarding(fifo: str, pipe_w: int, once: bool) -> None:
    # _thread, not threading: starting a threading.Thread runs enough Python (its bookkeeping, locks, events)
    # that each -i shim copied ~450 KiB more (bench_memory.py --tty: 2.3 MB against 1.9 MB PSS); this thread
    # needs none of it (nothing joins it; it ends with the process).
    _thread.start_new_thread(_forward, (fifo, pipe_w, once))


def _forward(fifo: str, pipe_w: int, once: bool) -> None:
    """What the FIFO's writers send, until the container's stdin closes: with `once` (StdinOnce, which an attached
    `docker run -i` sets) at the first writer's end, else when the container stops reading. Without `once` the
    FIFO is opened for writing too, so no writer's end reads as EOF and it is never without a reader: input
    sent by one attach while the previous one ends can neither be lost nor refused."""
    # A write to a pipe whose reader is gone raises EPIPE here instead of killing the shim with SIGPIPE.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPIPE})
    fd = os.open(fifo, (os.O_RDONLY if once else os.O_RDWR) | os.O_CLOEXEC)  # read-only waits for a writer
    try:
        while (chunk := os.read(fd, 65536)) and write_all(pipe_w, chunk):
            continue
    finally:
        os.close(fd)
        try:
            _remove_fifo(fifo)  # first: whoever sees the container's EOF finds the FIFO gone
        finally:
            os.close(pipe_w)  # the container's EOF, whatever happened to the FIFO


def _remove_fifo(fifo: str) -> None:
    """Gone, so that a later attach sees at once that this stdin is closed for good (runtime.engine.stdin)."""
    try:
        os.unlink(fifo)
    except FileNotFoundError:
        return  # the container's files are being removed


def write_all(fd: int, data: bytes) -> bool:
    """All of data into a pipe, FIFO or terminal master; False if it has no reader any more (a master reads EIO
    once every slave fd is closed)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        return False
    except OSError as e:
        if e.errno != errno.EIO:
            raise
        return False
    return True
