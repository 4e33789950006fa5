"""A network namespace's TCP sockets and local addresses, from the /proc files of a process inside it.

/proc/<pid>/net/* shows the namespace of <pid>, whoever reads it: the probe reads each namespace once,
through any one of its processes. The exporter's readers hold counters only, so these live here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from exporter.readers.files import FileReader
from exporter.readers.samples import ReadError

# include/net/tcp_states.h
LISTEN = 0x0A
TIME_WAIT = 0x06
# The states of a connection that exists or just existed: SYN_SENT/SYN_RECV are attempts, CLOSE has no peer.
# TIME_WAIT is kept although no process owns it: a client that connects and closes several times a second
# (a poller) is seen mostly through its closed connections.
CONNECTED_STATES = frozenset({0x01, 0x04, 0x05, TIME_WAIT, 0x08, 0x09, 0x0B})


@dataclass(frozen=True, slots=True)
class TcpSocket:
    local_ip: str
    local_port: int
    remote_ip: str
    remote_port: int
    state: int
    inode: int  # 0 once no process holds it (TIME_WAIT)


def _ipv4(hex_text: str) -> str:
    # the kernel prints the address as one native-endian (little-endian here) 32-bit word
    value = int(hex_text, 16)
    return f"{value & 0xFF}.{value >> 8 & 0xFF}.{value >> 16 & 0xFF}.{value >> 24}"


def _ipv6(hex_text: str) -> str:
    raw = b"".join(int(hex_text[i : i + 8], 16).to_bytes(4, "little") for i in range(0, 32, 8))
    return plain_ip(ipaddress.IPv6Address(raw))


def plain_ip(address: ipaddress.IPv6Address) -> str:
    """A v4 peer of a v6 socket (::ffff:a.b.c.d) named as the v4 side names it."""
    mapped = address.ipv4_mapped
    return str(mapped) if mapped is not None else str(address)


def parse_tcp_table(text: str, *, ipv6: bool) -> list[TcpSocket]:
    """The listening and connected sockets of /proc/net/tcp or tcp6 (other states are left out).

    :raise ValueError: for a line that is not a socket line.
    """
    decode = _ipv6 if ipv6 else _ipv4
    sockets = []
    for line in text.splitlines()[1:]:  # a header line
        fields = line.split()
        if len(fields) < 10:
            raise ValueError(f"invalid line {line.strip()!r}: expected 'sl local remote st ... inode'")
        state = int(fields[3], 16)
        if state != LISTEN and state not in CONNECTED_STATES:
            continue
        local, _, local_port = fields[1].partition(":")
        remote, _, remote_port = fields[2].partition(":")
        sockets.append(
            TcpSocket(decode(local), int(local_port, 16), decode(remote), int(remote_port, 16), state, int(fields[9]))
        )
    return sockets


def read_tcp(pid: int, proc_root: Path) -> tuple[list[TcpSocket], list[ReadError]]:
    """The TCP sockets (v4 and v6) of the network namespace <pid> lives in."""
    reader = FileReader()
    sockets: list[TcpSocket] = []
    for name, ipv6 in (("tcp", False), ("tcp6", True)):
        path = f"{proc_root}/{pid}/net/{name}"
        text = reader.text(path, optional=True)  # tcp6: absent when IPv6 is disabled
        if text is None:
            continue
        try:
            sockets.extend(parse_tcp_table(text, ipv6=ipv6))
        except ValueError as e:
            reader.fail(path, str(e))
    return sockets, reader.errors


@dataclass(frozen=True, slots=True)
class LocalAddresses:
    addresses: tuple[str, ...]  # the namespace's own addresses, loopback left out
    networks: tuple[str, ...]  # the networks its interfaces are on, as CIDRs


def parse_fib_trie(text: str) -> LocalAddresses:
    """IPv4 from /proc/net/fib_trie: a `|-- A` line, then `/32 host LOCAL` (A is ours) or
    `/N link UNICAST` (A/N is a network on a link)."""
    addresses: dict[str, None] = {}  # both the main and the local table list them: keep one, in order
    networks: dict[str, None] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|--"):
            current = stripped[3:].strip()
        elif current is not None and stripped.startswith("/"):
            prefix, _, kind = stripped[1:].partition(" ")
            if kind.endswith("host LOCAL") and not current.startswith("127."):
                addresses[current] = None
            elif kind.endswith("link UNICAST"):
                networks[f"{current}/{prefix}"] = None
    return LocalAddresses(tuple(addresses), tuple(networks))


def parse_if_inet6(text: str) -> LocalAddresses:
    """IPv6 from /proc/net/if_inet6: `<32 hex digits> <ifindex> <prefix length> <scope> <flags> <name>`;
    global addresses only (scope 00): link-local ones repeat on every link and name no one."""
    addresses, networks = [], []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[3] != "00":
            continue
        address = ipaddress.IPv6Address(bytes.fromhex(fields[0]))
        addresses.append(str(address))
        networks.append(str(ipaddress.IPv6Network(f"{address}/{int(fields[2], 16)}", strict=False)))
    return LocalAddresses(tuple(addresses), tuple(networks))


def parse_sockstat(text: str) -> dict[str, dict[str, int]]:
    """/proc/net/sockstat{,6}: `TCP: inuse 3 orphan 0 tw 2 ...` -> {"TCP": {"inuse": 3, "tw": 2, ...}}."""
    found = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        found[name] = {k: int(v) for k, v in zip(fields[::2], fields[1::2], strict=False) if v.isdigit()}
    return found


def read_local_addresses(pid: int, proc_root: Path) -> tuple[LocalAddresses, list[ReadError]]:
    """The addresses and networks of the network namespace <pid> lives in."""
    reader = FileReader()
    v4 = v6 = LocalAddresses((), ())
    text = reader.text(f"{proc_root}/{pid}/net/fib_trie")
    if text is not None:
        v4 = parse_fib_trie(text)
    text = reader.text(f"{proc_root}/{pid}/net/if_inet6", optional=True)  # absent when IPv6 is disabled
    if text is not None:
        v6 = parse_if_inet6(text)
    return LocalAddresses(v4.addresses + v6.addresses, v4.networks + v6.networks), reader.errors
