"""Commands in the network namespaces the multi-host tests make (`ip` itself, and any program through nsenter,
which enters the network namespace only)."""

import subprocess

from tests.support.daemon import NETNS_DIR


def ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def in_netns(netns: str, *argv: str, timeout: float = 30, input: bytes | None = None) -> subprocess.CompletedProcess:
    """A command in one of the test's namespaces (network only, as the daemons are)."""
    return subprocess.run(
        ["nsenter", f"--net={NETNS_DIR / netns}", *argv], capture_output=True, timeout=timeout, input=input
    )
