"""A command run under a real pseudo-terminal, as a person at a terminal runs it: what it prints is read from the
master, keys are typed into it, and the window can be resized (the kernel sends the command SIGWINCH)."""

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

from runtime.shim.terminal import set_size
from tests.support.waiting import wait_for

CTRL_P, CTRL_Q = b"\x10", b"\x11"
KEY_ARRIVAL_S = 0.05


class TerminalSession:
    def __init__(self, argv: list[str], rows: int = 24, columns: int = 80, cwd: str | None = None) -> None:
        self.master, slave = os.openpty()
        set_size(self.master, rows, columns)
        self._slave = os.open(os.ttyname(slave), os.O_RDWR | os.O_NOCTTY)  # to see what is still unread
        # setsid -c: a session of its own whose controlling terminal is this one, so that raw mode, SIGWINCH and
        # the terminal's signals work as in a shell (util-linux; no preexec_fn in a threaded test process).
        self.process = subprocess.Popen(
            ["setsid", "-c", *argv], stdin=slave, stdout=slave, stderr=slave, close_fds=True, cwd=cwd
        )
        os.close(slave)
        self.output = b""

    def in_raw_mode(self) -> bool:
        """Whether the command has put the terminal in raw mode (the docker CLI does once its stream is up):
        until then the terminal itself echoes and edits what is typed."""
        return not termios.tcgetattr(self.master)[3] & (termios.ECHO | termios.ICANON)

    def expect(self, pattern: bytes, timeout: float = 20.0) -> re.Match:
        """Read until `pattern` (a regular expression) shows in the output since the last expect; fail with
        what was read after `timeout`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while (match := regex.search(self.output)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(f"timed out waiting for {pattern!r}; the terminal showed {self.output!r}")
        self.output = self.output[match.end() :]
        return match

    def read(self, timeout: float) -> bytes | None:
        """What the command printed next (b"" if nothing within `timeout`), None once nothing holds the terminal;
        not kept for expect()."""
        before = len(self.output)
        if not self._read(timeout):
            return None
        data, self.output = self.output[before:], self.output[:before]
        return data

    def _read(self, timeout: float) -> bool:
        readable, _, _ = select.select([self.master], [], [], timeout)
        if not readable:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: nothing holds the terminal any more
            return False
        self.output += data
        return bool(data)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def press(self, *keys: bytes) -> None:
        """Keys as a person presses them: each read by the command before the next (docker's detach keys count
        only so)."""
        for key in keys:
            os.write(self.master, key)
            # A key written to the master reaches the slave's queue a moment later (the kernel's flip buffer
            # moves it on a worker), so "nothing unread" right after the write can mean "not there yet": give it
            # the moment to show (a reader quicker than that has read it), then wait until it is read.
            arrival = time.monotonic() + KEY_ARRIVAL_S
            while not self._unread() and time.monotonic() < arrival:
                time.sleep(0.001)
            wait_for(lambda: not self._unread(), 10, interval=0.005, what=f"the command to read {key!r}")

    def _unread(self) -> int:
        return struct.unpack("i", fcntl.ioctl(self._slave, termios.FIONREAD, b"\0" * 4))[0]

    def resize(self, rows: int, columns: int) -> None:
        set_size(self.master, rows, columns)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        """The command's exit status, reading its output meanwhile (a full terminal would block it)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the command did not exit; the terminal showed {self.output!r}")
            self._read(0.05)
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        os.close(self.master)
        os.close(self._slave)

    def __enter__(self) -> "TerminalSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stty_size_once_resized(term: TerminalSession, wanted: bytes, timeout: float = 20.0) -> bytes:
    """What `stty size` in the shell on `term` says once it says `wanted` (the client sends the new size on
    SIGWINCH, asynchronously), or at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        term.type(b"stty size\r")
        shown = term.expect(rb"(\d+ \d+)\r\n").group(1)
        if shown == wanted or time.monotonic() > deadline:
            return shown


def resize_until_shown(term: TerminalSession, rows: int, columns: int, timeout: float = 20.0) -> bytes:
    """Resize `term`'s window and return what `stty size` shows once it shows the new size, or at the deadline. A
    SIGWINCH that comes before the client watches the window is lost (the docker CLI watches it once the container
    has started, and the shell's prompt may show before that), so while the old size shows, the window is resized
    again, through another size: the kernel signals a change only."""
    wanted = b"%d %d" % (rows, columns)
    deadline = time.monotonic() + timeout
    while True:
        term.resize(rows, columns)
        shown = stty_size_once_resized(term, wanted, timeout=1.0)
        if shown == wanted or time.monotonic() > deadline:
            return shown
        term.resize(rows - 1, columns)
