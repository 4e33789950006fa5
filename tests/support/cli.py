"""The `porthole` CLI run against a test daemon, as a user runs it."""

import subprocess
import sys

from tests.support.daemon import REPO


def porthole(
    ph, *args: str, input: bytes | None = None, stdin=None, stdout=subprocess.PIPE, timeout: float = 60
) -> subprocess.CompletedProcess:
    """`python -m porthole.cli.main -H <the test daemon> ...`, output as text."""
    result = subprocess.run(
        [sys.executable, "-m", "porthole.cli.main", "-H", ph.host, *args],
        input=input,
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=timeout,
        cwd=REPO,
    )
    result.stdout = result.stdout.decode() if isinstance(result.stdout, bytes) else result.stdout
    result.stderr = result.stderr.decode()
    return result
