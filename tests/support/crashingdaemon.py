"""A test daemon with crash points (tests/support/crashinjection.py): arm(n) makes the n-th point it reaches from
then on SIGKILL it, between two steps that leave a trace outside its memory."""

import fcntl
import subprocess
from collections import Counter
from dataclasses import dataclass, field

from tests.support.daemon import REPO, TestDaemon
from tests.support.forked import Forked


@dataclass
class CrashingDaemon(TestDaemon):
    """A test daemon with crash points: arm(n) makes the n-th point it reaches from then on SIGKILL it."""

    __test__ = False
    forkserver: subprocess.Popen | None = field(default=None, repr=False)  # forks each start, imports done

    def __post_init__(self) -> None:
        self.env = {
            "PYTHONPATH": str(REPO / "tests" / "support" / "crashpoints"),
            "PORTHOLE_CRASH_ARM": str(self.root / "crash-arm"),
            "PORTHOLE_CRASH_LOG": str(self.root / "crash-log"),
        }

    def arm(self, points: int, only: str = "") -> None:
        """The `points`-th crash point from now kills the daemon; with `only`, the `points`-th of that name
        ("after runtime.cgroups.cgroupfile.write_file")."""
        staged = self.root / "crash-arm.new"
        staged.write_text(f"{points} {only}".rstrip())
        staged.replace(self.root / "crash-arm")  # whole at once: a point never reads it half written

    def disarm(self) -> int | None:
        """No point fires from now on; returns the pid of the daemon a point killed last, if one did."""
        try:
            arm = open(self.root / "crash-arm")
        except FileNotFoundError:
            return None
        with arm:
            fcntl.flock(arm, fcntl.LOCK_EX)  # a point deciding now decides first
            (self.root / "crash-arm").unlink()
            _, _, killed = arm.read().partition("\n")
        return int(killed) if killed else None

    def crashes(self) -> Counter:
        log = self.root / "crash-log"
        return Counter(log.read_text().splitlines() if log.exists() else [])

    def _launch(self) -> Forked:
        """A daemon forked by the test's fork server (tests/support/warmstart.py), started at the first start."""
        if self.forkserver is None:
            daemon = self.command()
            at = daemon.index("porthole.cli.main")
            self.forkserver = self._spawn(
                [*daemon[:at], "tests.support.warmstart", str(self.root / "daemon.log"), *daemon[at + 1 :]],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        self.forkserver.stdin.write(b"start\n")
        self.forkserver.stdin.flush()
        return Forked(int(self.forkserver.stdout.readline()))

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if self.forkserver is not None:
                self.forkserver.kill()
                self.forkserver.wait()
                self.forkserver = None

    def dead(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def restart(self) -> None:
        """Start again after a SIGKILL; a crash point armed before the start may kill it in its recovery, and
        that is one more kill point: it starts again, disarmed. Disarmed once it answers in any case: a point
        that outlived the recovery would kill it at a moment no test chose (one that fires between its answer and
        the disarm, on a thread of its recovery, is one more kill point too)."""
        self.process = None
        try:
            self.start()
        except AssertionError:
            if not self.dead():
                raise  # it did not answer in time: no point killed it, and a second daemon must not start beside it
            self.disarm()
            self.process = None
            self.start()
        if self.disarm() == self.process.pid:  # fired after it answered (a thread of its recovery), before the disarm
            self.process.wait(timeout=30)
            self.process = None
            self.start()
