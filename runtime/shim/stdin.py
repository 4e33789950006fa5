"""Attached stdin (`docker run -i`): the daemon writes what a client sends into a FIFO beside the spec, and a
thread of the shim copies it into the container's stdin pipe. The shim holds the pipe, not the daemon, so the
container's stdin stays open across a daemon restart, as its stdout and stderr do."""

import errno
import os
import signal
import threading

FIFO_MODE = 0o600  # root's daemon writes it; nobody else may feed a container's stdin


def make_fifo(path: str) -> None:
    """The FIFO a restarted container reuses, or a new one."""
    try:
        os.mkfifo(path, FIFO_MODE)
    except FileExistsError:
        return


def start_forwarding(fifo: str, pipe_w: int, once: bool) -> None:
    threading.Thread(target=_forward, args=(fifo, pipe_w, once), name="stdin", daemon=True).start()


def _forward(fifo: str, pipe_w: int, once: bool) -> None:
    """Each writer of the FIFO in turn, until the container's stdin closes: with `once` (StdinOnce, which an
    attached `docker run -i` sets) at the first writer's end, else when the container stops reading."""
    # A write to a pipe whose reader is gone raises EPIPE here instead of killing the shim with SIGPIPE.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPIPE})
    try:
        while _copy_one_writer(fifo, pipe_w) and not once:
            continue
    finally:
        os.close(pipe_w)


def _copy_one_writer(fifo: str, pipe_w: int) -> bool:
    """Copies from the next writer to its end; False once the container no longer reads its stdin."""
    fd = os.open(fifo, os.O_RDONLY | os.O_CLOEXEC)  # waits for a writer
    try:
        while chunk := os.read(fd, 65536):
            view = memoryview(chunk)
            while view:
                try:
                    view = view[os.write(pipe_w, view) :]
                except OSError as exc:
                    if exc.errno == errno.EPIPE:
                        return False
                    raise
    finally:
        os.close(fd)
    return True
