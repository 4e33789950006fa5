"""Attached stdin, the daemon's side: what a client sends on a hijacked attach goes into the FIFO that the
container's shim reads (runtime.shim.stdin); what it sends to an exec goes into the exec's stdin pipe or terminal.
As in Docker, stdin is taken only for a container created with OpenStdin (-i); for any other it is ignored. On a
terminal, the detach keys end the client's session and leave the process running."""

import errno
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.engine.detachkeys import EscapeScanner
from runtime.shim.stdin import write_all

OPEN_RETRY_S = 0.02  # an attach comes before the start: the FIFO opens once the container's shim reads it
READER_WAIT_S = 5.0  # the most a feed waits for the attach's output reader to find its starting point


EOF, CLOSED, DETACHED = "eof", "closed", "detached"  # how a copy of the client's input ended


@dataclass(frozen=True)
class Detaching:
    """A terminal session's detach keys, and what ends the session when they come."""

    escape: EscapeScanner
    detach: Callable[[], None]


def start_feeding(
    client: socket.socket,
    fifo: Path,
    exited: Callable[[], bool],
    running: Callable[[], bool],
    reading: threading.Event,
    detaching: Detaching | None = None,
) -> threading.Thread:
    """feed_stdin on a thread of its own; join it to wait for the client's side to end."""
    args = (client, fifo, exited, running, reading, detaching)
    feeder = threading.Thread(target=feed_stdin, args=args, name="stdin", daemon=True)
    feeder.start()
    return feeder


def copy_input(client: socket.socket, write: Callable[[bytes], bool], escape: EscapeScanner | None) -> str:
    """The client's bytes through `write` until the client's end (EOF), a write that finds no reader (CLOSED)
    or, with `escape`, the detach keys (DETACHED)."""
    try:
        while data := client.recv(65536):
            detached = False
            if escape is not None:
                data, detached = escape.feed(data)
            if data and not write(data):
                return CLOSED
            if detached:
                return DETACHED
    except OSError:
        return EOF  # the client left
    return EOF


def feed_stdin(
    client: socket.socket,
    fifo: Path,
    exited: Callable[[], bool],
    running: Callable[[], bool],
    reading: threading.Event,
    detaching: Detaching | None = None,
) -> None:
    """Copies the client's bytes into the FIFO until the client half-closes, or the container stops reading its
    stdin; closing the FIFO is the client's EOF reaching the shim (and, with StdinOnce, the container). What the
    client sends after that is read and dropped until it closes: a socket closed with input unread resets the
    connection, and the client would lose the end of the output (`yes | docker run -i busybox head -1`).
    Nothing is fed before `reading` is set: the output the input provokes must come after the attach's start.
    `running` tells whether the container's shim is up (then its FIFO exists unless its stdin closed for good).
    With `detaching` (a terminal), the detach keys end the session, and so does the client's end, as in moby (a
    terminal's stdin is never closed by a client)."""
    reading.wait(READER_WAIT_S)
    fd = _open_once_read(fifo, exited, running)
    if fd is not None:
        try:
            ended = copy_input(client, lambda data: write_all(fd, data), detaching and detaching.escape)
        finally:
            os.close(fd)
        if detaching is not None and ended in (DETACHED, EOF):
            detaching.detach()
            return
    try:
        while client.recv(65536):
            continue
    except OSError:
        return  # the client reset the connection: nothing left to drain


def _open_once_read(fifo: Path, exited: Callable[[], bool], running: Callable[[], bool]) -> int | None:
    while not exited():
        was_running = running()  # asked before the open: a FIFO is made before its container counts as running
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ENOENT and was_running:
                return None  # its shim removed it: the container's stdin is closed for good (StdinOnce)
            if exc.errno not in (errno.ENOENT, errno.ENXIO):  # not started yet; its shim not reading yet
                raise
            time.sleep(OPEN_RETRY_S)
            continue
        os.set_blocking(fd, True)  # a container that reads slowly slows the client down, as a pipe does
        return fd
    return None
