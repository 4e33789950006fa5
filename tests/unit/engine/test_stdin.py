"""Attached stdin's two halves with a real FIFO, pipes and a socket pair: the daemon's feed (client socket ->
FIFO) and the shim's forwarding (FIFO -> the container's stdin pipe)."""

import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runtime.engine.stdin import start_feeding
from runtime.shim.stdin import make_fifo, start_forwarding
from tests.support.waiting import wait_for

DEADLINE_S = 10
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "stdin"
    make_fifo(str(path))
    make_fifo(str(path))  # a restarted container's shim finds it there
    return path


def wait_readable(fd: int) -> None:
    """Until the FIFO has data or its writer left: a FIFO that no writer has opened yet reads as EOF at once."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    assert poller.poll(DEADLINE_S * 1000), "nothing arrived"


def read_to_eof(fd: int) -> bytes:
    wait_readable(fd)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def assert_feed_ended(feeder: threading.Thread, *sockets: socket.socket) -> None:
    feeder.join(DEADLINE_S)
    assert not feeder.is_alive()
    for sock in sockets:
        sock.close()


def started() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def test_with_stdin_once_the_first_writers_end_is_the_containers_eof(fifo):
    container_r, pipe_w = os.pipe()
    start_forwarding(str(fifo), pipe_w, once=True)
    with open(fifo, "wb") as writer:
        writer.write(b"hello\n")
    assert read_to_eof(container_r) == b"hello\n"
    # a later attach sees that this stdin is closed for good; the shim removes the FIFO just after the EOF
    wait_for(lambda: not fifo.exists(), DEADLINE_S, what="the FIFO's removal")
    os.close(container_r)


def test_without_stdin_once_each_attach_adds_to_the_same_stdin(fifo):
    container_r, pipe_w = os.pipe()
    start_forwarding(str(fifo), pipe_w, once=False)
    for data in (b"first\n", b"second\n"):
        with open(fifo, "wb") as writer:
            writer.write(data)
        assert os.read(container_r, 100) == data  # still open: the next attach may write
    os.close(container_r)


SIGPIPE_CHILD = """
import os, signal, sys, time
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as in a shim
from runtime.shim.stdin import start_forwarding
fifo = sys.argv[1]
container_r, pipe_w = os.pipe()
os.close(container_r)  # the container closed its stdin
start_forwarding(fifo, pipe_w, once=False)
with open(fifo, "wb") as writer:
    writer.write(b"nobody reads this")
deadline = time.monotonic() + 10
while time.monotonic() < deadline:  # the forwarder stops reading the FIFO once the pipe is broken
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        sys.exit(0)
    time.sleep(0.01)
sys.exit(2)
"""


def test_a_container_that_closed_its_stdin_does_not_kill_the_shim_with_sigpipe(fifo):
    child = subprocess.run([sys.executable, "-c", SIGPIPE_CHILD, str(fifo)], cwd=REPO, timeout=30)
    assert child.returncode == 0  # -13 if SIGPIPE had killed it, 2 if the forwarder went on reading


def test_the_feed_copies_the_client_then_closes_the_fifo_at_its_half_close(fifo):
    daemon_side, client = socket.socketpair()
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the shim's side, open before the feed looks
    os.set_blocking(reader, True)
    feeder = start_feeding(daemon_side, fifo, exited=lambda: False, running=lambda: True, reading=started())
    client.sendall(b"abc" * 50_000)
    client.shutdown(socket.SHUT_WR)
    assert read_to_eof(reader) == b"abc" * 50_000
    assert_feed_ended(feeder, daemon_side, client)
    os.close(reader)


def test_what_the_client_sends_after_the_container_stopped_reading_is_drained(fifo):
    daemon_side, client = socket.socketpair()
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    feeder = start_feeding(daemon_side, fifo, exited=lambda: False, running=lambda: True, reading=started())
    client.sendall(b"first\n")
    wait_readable(reader)
    assert os.read(reader, 100) == b"first\n"
    os.close(reader)  # the container exits
    sender = threading.Thread(target=lambda: client.sendall(b"y\n" * 1_000_000))
    sender.start()  # megabytes: they fit no buffer, so they arrive only if the feed keeps reading
    sender.join(DEADLINE_S)
    assert not sender.is_alive()
    client.shutdown(socket.SHUT_WR)
    assert_feed_ended(feeder, daemon_side, client)


def test_no_fifo_is_opened_for_a_container_that_exited_before_reading(tmp_path):
    daemon_side, client = socket.socketpair()
    client.shutdown(socket.SHUT_WR)
    never_made = tmp_path / "never-made"
    feeder = start_feeding(daemon_side, never_made, exited=lambda: True, running=lambda: False, reading=started())
    assert_feed_ended(feeder, daemon_side, client)


def test_a_feed_to_a_running_container_whose_stdin_is_closed_for_good_only_drains(tmp_path):
    daemon_side, client = socket.socketpair()
    removed = tmp_path / "removed"
    feeder = start_feeding(daemon_side, removed, exited=lambda: False, running=lambda: True, reading=started())
    client.sendall(b"nobody reads this\n")
    client.shutdown(socket.SHUT_WR)
    # Without asking whether the container runs, the feed would retry its open until the container exits.
    assert_feed_ended(feeder, daemon_side, client)


def test_a_feed_before_the_start_waits_for_the_fifo(tmp_path):
    daemon_side, client = socket.socketpair()
    path = tmp_path / "stdin"
    asked = threading.Event()

    def running() -> bool:
        asked.set()
        return path.exists()

    feeder = start_feeding(daemon_side, path, exited=lambda: False, running=running, reading=started())
    assert asked.wait(DEADLINE_S)  # the feed has looked once and found no FIFO
    make_fifo(str(path))  # the container starts: its launcher makes the FIFO, then it counts as running
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    client.sendall(b"late\n")
    client.shutdown(socket.SHUT_WR)
    os.set_blocking(reader, True)
    assert read_to_eof(reader) == b"late\n"
    assert_feed_ended(feeder, daemon_side, client)
    os.close(reader)
