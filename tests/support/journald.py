"""Debian's systemd-journald, started by a test without systemd as PID 1: in a mount and PID namespace of its
own (unshare), where a tmpfs over /run holds its sockets and journal, bound from the test's directory so that
the host sees them at <dir>/run/socket and <dir>/journal. Nothing of the host's /run or /etc changes; the PID
namespace also keeps it from switching on the kernel's audit (only the initial namespace may). Read back with
`journalctl --directory`."""

import json
import shutil
import subprocess
from pathlib import Path

from tests.support.waiting import wait_for

JOURNALD = Path("/lib/systemd/systemd-journald")
CONFIG = """[Journal]
Storage=volatile
RateLimitBurst=0
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
"""
SCRIPT = """set -e
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal /run/log/journal
mount --bind "$1/run" /run/systemd/journal
mount --bind "$1/journal" /run/log/journal
mount --bind "$1/journald.conf" /etc/systemd/journald.conf
exec {journald}
"""


def journald_installed() -> bool:
    return JOURNALD.exists() and shutil.which("journalctl") is not None and shutil.which("unshare") is not None


class Journald:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.directory / "run" / "socket"

    @property
    def journal(self) -> Path:
        return self.directory / "journal"

    def start(self) -> None:
        for sub in ("run", "journal"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        (self.directory / "journald.conf").write_text(CONFIG)
        log = open(self.directory / "journald.log", "ab")
        script = SCRIPT.format(journald=JOURNALD)
        # --kill-child: journald (PID 1 of its namespace) dies with unshare, whatever ends the test.
        command = [
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "sh",
            "-c",
            script,
            "sh",
            str(self.directory),
        ]
        self.process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        try:
            wait_for(self._listening, 20, what="systemd-journald's socket")
        except BaseException:
            self.stop()
            raise

    def _listening(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            text = (self.directory / "journald.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"journald exited {self.process.returncode}: {text}")
        return self.socket.exists()

    def entries(self, *matches: str) -> list[dict]:
        """The journal's entries (journalctl -o json), with the given FIELD=value matches."""
        result = subprocess.run(
            ["journalctl", "--directory", str(self.journal), "-o", "json", "--all", "--no-pager", *matches],
            capture_output=True,
            check=False,
        )
        return [json.loads(line) for line in result.stdout.splitlines() if line.startswith(b"{")]

    def stop(self) -> None:
        """journald dies at once, as in a crash: SIGKILL to unshare, whose --kill-child passes it on. A SIGTERM
        never reached journald (PID 1 of its namespace takes only the signals it has a handler for, and it reads
        its signals from a signalfd), so stopping it so waited out a 20 s timeout every time."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        self.process = None
        self.socket.unlink(missing_ok=True)
