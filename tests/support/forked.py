"""A process the test did not start itself (a daemon forked by tests/support/warmstart.py), followed through a
pidfd, which works for a process that is not the test's child."""

import os
import select
import signal


class Forked:
    """A daemon forked by the server, with the part of Popen's interface the tests use. Its exit status went to
    the kernel's reaping, not to us: a dead daemon's returncode is -1, unknown."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        return self._ended(0)

    def wait(self, timeout: float | None = None) -> int:
        if self._ended(timeout) is None:
            raise TimeoutError(f"daemon {self.pid} still running after {timeout}s")
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Through the pidfd: never a reused pid. A daemon that died since the last look (a crash point fires
        at any moment) has nothing left to signal, as Popen.send_signal allows."""
        try:
            signal.pidfd_send_signal(self._pidfd, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _ended(self, timeout: float | None) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], timeout)[0]:
            self.returncode = -1
        return self.returncode

    def __del__(self) -> None:
        os.close(self._pidfd)  # not when it ends: another thread may be polling it
