"""Network namespaces of a test's own: one joined to the host by a veth pair (a non-loopback address the host can
reach: Docker trusts loopback registries without TLS, one here must present a certificate), deleted after with
its veth pair; and commands in the namespaces the multi-host tests make (`ip` itself, and any program through
nsenter, which enters the network namespace only)."""

import contextlib
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Namespace:
    name: str
    host_address: str  # the host side of the veth pair
    address: str  # inside the namespace

    def command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]


@contextlib.contextmanager
def namespace_with_veth() -> Iterator[Namespace]:
    tag = secrets.token_hex(3)
    octet = 1 + int(tag, 16) % 250
    ns = Namespace(f"phreg-{tag}", f"10.253.{octet}.1", f"10.253.{octet}.2")
    host_end, inner_end = f"phr{tag}a", f"phr{tag}b"
    ip("netns", "add", ns.name)
    try:
        ip("link", "add", host_end, "type", "veth", "peer", "name", inner_end, "netns", ns.name)
        ip("addr", "add", f"{ns.host_address}/30", "dev", host_end)
        ip("link", "set", host_end, "up")
        ip("-n", ns.name, "addr", "add", f"{ns.address}/30", "dev", inner_end)
        ip("-n", ns.name, "link", "set", inner_end, "up")
        ip("-n", ns.name, "link", "set", "lo", "up")
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns.name], check=False, capture_output=True)
        subprocess.run(["ip", "link", "del", host_end], check=False, capture_output=True)
