import os
import subprocess
import sys
import threading

import pytest

from runtime.engine.terminals import READ_SIZE, HeldTerminal

TERMINAL_READ = 4096  # the most one read of a terminal gives (the line discipline's buffer)
# A screenful, then a byte per write with no pause that a 1 ms wait would notice: 64 KiB of it takes seconds.
SCREEN_THEN_TRICKLE = "import os; os.write(1, b' ' * 3000); [os.write(1, b'.') for _ in iter(int, 1)]"


@pytest.fixture
def terminal():
    """A held master and its slave (what the exec's process writes its output to)."""
    master, slave = os.openpty()
    held = HeldTerminal(master)
    yield held, slave
    held.close()
    try:
        os.close(slave)
    except OSError:
        pass  # the test closed it (the process's end)


def read_until(held: HeldTerminal, size: int) -> list[bytes]:
    pieces = []
    while sum(map(len, pieces)) < size:
        piece = held.read()
        assert piece, f"the output ended after {sum(map(len, pieces))} of {size} bytes"
        pieces.append(bytes(piece))  # a piece is the terminal's buffer until the next read
    return pieces


def test_a_burst_comes_in_pieces_larger_than_a_terminal_read_and_whole(terminal):
    held, slave = terminal
    burst = bytes(range(97, 123)) * 20_000  # 520 KB, no newline for the terminal to turn into CR LF
    writer = threading.Thread(target=os.write, args=(slave, burst))  # blocks while the terminal is full
    writer.start()
    try:
        pieces = read_until(held, len(burst))
    finally:
        held.close()  # a write still blocked (the test failed) ends with EIO
        writer.join()
    assert b"".join(pieces) == burst
    assert TERMINAL_READ < max(map(len, pieces)) <= READ_SIZE


def test_a_screen_followed_by_a_trickle_shows_without_waiting_for_a_full_buffer(terminal):
    """After a screenful the terminal gathers what follows, but not for as long as a trickle lasts."""
    held, slave = terminal
    writer = subprocess.Popen([sys.executable, "-c", SCREEN_THEN_TRICKLE], stdout=slave)
    try:
        pieces = read_until(held, 3000)
    finally:
        writer.kill()
        writer.wait()
    assert b"".join(pieces).startswith(b" " * 3000)
    assert max(map(len, pieces)) < READ_SIZE


def test_an_echo_comes_alone_and_at_once(terminal):
    held, slave = terminal
    os.write(slave, b"x")
    assert bytes(held.read()) == b"x"


def test_the_output_ends_once_the_slave_is_closed_after_what_was_written(terminal):
    held, slave = terminal
    os.write(slave, b"bye")
    os.close(slave)
    assert bytes(held.read()) == b"bye"
    assert not held.read()
