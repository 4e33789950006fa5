"""A network namespace of a test's own, joined to the host by a veth pair: a non-loopback address the host can
reach (Docker trusts loopback registries without TLS; one here must present a certificate). Deleted after,
which also deletes the veth pair."""

import contextlib
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Namespace:
    name: str
    host_address: str  # the host side of the veth pair
    address: str  # inside the namespace

    def command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextlib.contextmanager
def namespace_with_veth() -> Iterator[Namespace]:
    tag = secrets.token_hex(3)
    octet = 1 + int(tag, 16) % 250
    ns = Namespace(f"phreg-{tag}", f"10.253.{octet}.1", f"10.253.{octet}.2")
    host_end, inner_end = f"phr{tag}a", f"phr{tag}b"
    _ip("netns", "add", ns.name)
    try:
        _ip("link", "add", host_end, "type", "veth", "peer", "name", inner_end, "netns", ns.name)
        _ip("addr", "add", f"{ns.host_address}/30", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("-n", ns.name, "addr", "add", f"{ns.address}/30", "dev", inner_end)
        _ip("-n", ns.name, "link", "set", inner_end, "up")
        _ip("-n", ns.name, "link", "set", "lo", "up")
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns.name], check=False, capture_output=True)
        subprocess.run(["ip", "link", "del", host_end], check=False, capture_output=True)
