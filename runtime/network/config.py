"""What the daemon and the engine hand the network room, parsed once into frozen dataclasses.

Defaults stay clear of Docker's 172.17.0.0/16 (docker0) and podman's 10.88.0.0/16 (cni-podman0), so porthole
can run beside either on one host.
"""

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.errors import InvalidParameter

DEFAULT_BRIDGE_NAME = "porthole0"
DEFAULT_BIP = "10.200.0.1/16"
DEFAULT_ADDRESS_POOL = "10.201.0.0/16"
DEFAULT_POOL_PREFIXLEN = 24
DEFAULT_CHAIN_PREFIX = "PORTHOLE"

# IFNAMSIZ is 16 with the NUL: a Linux interface name has at most 15 characters.
MAX_IFNAME = 15
# xt chain names hold 28 characters; the longest suffix we add is "-DNS-POSTROUTING" (16).
MAX_CHAIN_PREFIX = 12
_CHAIN_PREFIX = re.compile(r"^[A-Z][A-Z0-9_]*$")


def validate_ifname(name: str, what: str) -> str:
    """Refuse what the kernel would refuse as an interface name, naming the field."""
    if not name or len(name) > MAX_IFNAME:
        raise InvalidParameter(f"network: {what} {name!r}: must have 1 to {MAX_IFNAME} characters")
    if name in (".", "..") or any(c in name for c in "/: \t\n"):
        raise InvalidParameter(f"network: {what} {name!r}: must not contain '/', ':' or spaces")
    return name


def parse_upstream(server: str) -> tuple[str, int]:
    """'1.2.3.4' or '1.2.3.4:5353' -> (address, port)."""
    host, _, port = server.partition(":")
    try:
        ipaddress.IPv4Address(host)
        number = int(port) if port else 53
    except ValueError as exc:
        raise InvalidParameter(f"network: dns upstream {server!r}: not an IPv4 address[:port]") from exc
    if not 0 < number < 65536:
        raise InvalidParameter(f"network: dns upstream {server!r}: port out of range")
    return host, number


# libnetwork's maxExtDNS: its embedded resolver asks a container's first three servers.
MAX_CONTAINER_UPSTREAMS = 3


def ipv4_nameservers(servers: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Nameservers as the embedded DNS asks them: the IPv4 ones (its forwarding sockets are IPv4), at port 53 as
    in resolv.conf."""
    found = []
    for server in servers:
        try:
            found.append((str(ipaddress.IPv4Address(server)), 53))
        except ValueError:
            continue
    return tuple(found)


def container_upstreams(dns: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """A container's `--dns` servers as its embedded DNS's upstreams."""
    return ipv4_nameservers(dns)[:MAX_CONTAINER_UPSTREAMS]


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """Daemon flags of the network room (`--bridge`, `--bip`, ...)."""

    bridge_name: str = DEFAULT_BRIDGE_NAME
    bip: str = DEFAULT_BIP  # the default bridge's address with its prefix, as Docker's --bip
    chain_prefix: str = DEFAULT_CHAIN_PREFIX  # our iptables chains are <prefix>-DNAT, <prefix>-FORWARD, ...
    # Where the embedded DNS sends the names it does not know for containers without --dns of their own: None (no
    # --dns-upstream), the host's resolvers, as Docker's; empty (`--dns-upstream none`): nowhere, NXDOMAIN.
    dns_upstreams: tuple[str, ...] | None = None
    mtu: int = 1500
    address_pool: str = DEFAULT_ADDRESS_POOL  # where networks created without --subnet take theirs
    pool_prefixlen: int = DEFAULT_POOL_PREFIXLEN
    host_resolv_conf: Path = Path("/etc/resolv.conf")
    host_hosts: Path = Path("/etc/hosts")
    enable_ip_forward: bool = True

    def __post_init__(self) -> None:
        validate_ifname(self.bridge_name, "bridge name")
        address = self.bridge_address
        if address.ip in (address.network.network_address, address.network.broadcast_address):
            raise InvalidParameter(f"network: bip {self.bip}: must be a host address, e.g. 10.200.0.1/16")
        if len(self.chain_prefix) > MAX_CHAIN_PREFIX or not _CHAIN_PREFIX.match(self.chain_prefix):
            raise InvalidParameter(
                f"network: chain prefix {self.chain_prefix!r}: must be 1 to {MAX_CHAIN_PREFIX} of A-Z 0-9 _, "
                "starting with a letter"
            )
        for server in self.dns_upstreams or ():
            parse_upstream(server)
        if not 68 <= self.mtu <= 65535:
            raise InvalidParameter(f"network: mtu {self.mtu}: must be between 68 and 65535")
        pool = self.pool_network
        if not pool.prefixlen <= self.pool_prefixlen <= 30:
            raise InvalidParameter(
                f"network: address pool {self.address_pool}/{self.pool_prefixlen}: size must be between "
                f"/{pool.prefixlen} and /30"
            )

    @property
    def bridge_address(self) -> ipaddress.IPv4Interface:
        try:
            address = ipaddress.ip_interface(self.bip)
        except ValueError as exc:
            raise InvalidParameter(f"network: bip {self.bip!r}: not an IPv4 address/prefix") from exc
        if not isinstance(address, ipaddress.IPv4Interface) or address.network.prefixlen > 30:
            raise InvalidParameter(f"network: bip {self.bip}: must be IPv4 with a prefix of /30 or shorter")
        return address

    @property
    def pool_network(self) -> ipaddress.IPv4Network:
        try:
            return ipaddress.IPv4Network(self.address_pool)
        except ValueError as exc:
            raise InvalidParameter(f"network: address pool {self.address_pool!r}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SandboxSpec:
    """What the engine knows of a container's networking (from its Config, HostConfig and image)."""

    container_id: str
    name: str  # without the leading "/"
    hostname: str
    container_dir: Path  # hosts, resolv.conf and hostname are written here
    network_mode: str = "default"  # "default"|"bridge"|"none"|"host"|"container:<id>"|<network name or id>
    endpoints_config: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    port_bindings: Mapping[str, Sequence[Mapping[str, str]] | None] = field(default_factory=dict)
    publish_all: bool = False
    exposed_ports: Sequence[str] = ()  # "80/tcp" keys of Config.ExposedPorts and the image's
    domainname: str = ""
    dns: Sequence[str] = ()
    dns_search: Sequence[str] = ()
    dns_options: Sequence[str] = ()
    extra_hosts: Sequence[str] = ()  # "name:ip" as HostConfig.ExtraHosts; ip may be "host-gateway"


@dataclass(frozen=True, slots=True)
class Sandbox:
    """A container's network namespace and the files to bind-mount at /etc/hosts, resolv.conf, hostname."""

    container_id: str
    netns_path: Path | None  # None: the host's network namespace (network mode "host")
    hosts_path: Path
    resolv_conf_path: Path
    hostname_path: Path
