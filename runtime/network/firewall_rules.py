"""The iptables rules of the network room, rendered from state as iptables-restore input (pure).

All our rules live in our own chains, named <prefix>-*; the built-in chains get one jump each. Every change
re-renders the chains whole and loads them atomically (`iptables-restore --noflush` flushes each chain it
declares), so what we remove is exactly what we added, and a rule never lingers after its object.

Host chains (Docker's bridge model, with the userland proxy off so that no userland hop is on any path):
  nat    PREROUTING, OUTPUT  -m addrtype --dst-type LOCAL -> <p>-DNAT   published ports, from anywhere
                                                                          including the host's loopback
  nat    POSTROUTING -> <p>-POSTROUTING   outbound MASQUERADE per subnet; MASQUERADE of host-sourced
                                          (127.0.0.1) traffic into a bridge; hairpin per published port
  filter FORWARD -> <p>-FORWARD           isolation first, then what our bridges may forward
         <p>-ISOLATION-1/-2               Docker's two-stage isolation: from one of our bridges to another
                                          is dropped unless the connection was DNATed (a published port)
Container netns (embedded DNS): nat OUTPUT/POSTROUTING rewrite 127.0.0.11:53 to the daemon's sockets.
"""

from collections.abc import Iterable
from dataclasses import dataclass

DNS_ADDRESS = "127.0.0.11"


@dataclass(frozen=True, slots=True)
class ChainNames:
    prefix: str

    @property
    def dnat(self) -> str:
        return f"{self.prefix}-DNAT"

    @property
    def postrouting(self) -> str:
        return f"{self.prefix}-POSTROUTING"

    @property
    def forward(self) -> str:
        return f"{self.prefix}-FORWARD"

    @property
    def isolation1(self) -> str:
        return f"{self.prefix}-ISOLATION-1"

    @property
    def isolation2(self) -> str:
        return f"{self.prefix}-ISOLATION-2"

    @property
    def dns_output(self) -> str:
        return f"{self.prefix}-DNS-OUTPUT"

    @property
    def dns_postrouting(self) -> str:
        return f"{self.prefix}-DNS-POSTROUTING"

    def host_chains(self) -> dict[str, tuple[str, ...]]:
        """table -> our chains in it (the order they are created and deleted in)."""
        return {
            "nat": (self.dnat, self.postrouting),
            "filter": (self.forward, self.isolation1, self.isolation2),
        }


@dataclass(frozen=True, slots=True)
class Jump:
    """One rule in a built-in chain that enters ours. insert: first in the chain rather than last."""

    table: str
    chain: str
    args: tuple[str, ...]
    insert: bool


@dataclass(frozen=True, slots=True)
class BridgePolicy:
    bridge: str
    subnet: str
    internal: bool
    icc: bool
    masquerade: bool


@dataclass(frozen=True, slots=True)
class PublishedPort:
    proto: str
    host_ip: str
    host_port: int
    container_ip: str
    container_port: int


def base_jumps(chains: ChainNames) -> tuple[Jump, ...]:
    local = ("-m", "addrtype", "--dst-type", "LOCAL", "-j", chains.dnat)
    return (
        Jump("nat", "PREROUTING", local, insert=False),
        Jump("nat", "OUTPUT", local, insert=False),
        Jump("nat", "POSTROUTING", ("-j", chains.postrouting), insert=True),
        Jump("filter", "FORWARD", ("-j", chains.forward), insert=True),
    )


def _nat_rules(chains: ChainNames, bridges: Iterable[BridgePolicy], ports: Iterable[PublishedPort]) -> list[str]:
    rules = []
    hairpins = {}  # one per container port, however many host ports lead to it (a dict keeps the order)
    for port in ports:
        destination = [] if port.host_ip == "0.0.0.0" else [f"-d {port.host_ip}/32"]
        rules.append(
            " ".join(
                [f"-A {chains.dnat}", *destination, f"-p {port.proto} -m {port.proto} --dport {port.host_port}"]
                + [f"-j DNAT --to-destination {port.container_ip}:{port.container_port}"]
            )
        )
        hairpin = (
            f"-A {chains.postrouting} -s {port.container_ip}/32 -d {port.container_ip}/32 -p {port.proto} "
            f"-m {port.proto} --dport {port.container_port} -j MASQUERADE"
        )
        hairpins[hairpin] = None
    rules += hairpins
    for b in bridges:
        if b.masquerade and not b.internal:
            rules.append(f"-A {chains.postrouting} -s {b.subnet} ! -o {b.bridge} -j MASQUERADE")
        rules.append(f"-A {chains.postrouting} -o {b.bridge} -m addrtype --src-type LOCAL -j MASQUERADE")
    return rules


def _filter_rules(chains: ChainNames, bridges: list[BridgePolicy]) -> list[str]:
    isolation1 = [
        rule
        for b in bridges
        if b.internal
        for rule in (
            f"-A {chains.isolation1} -i {b.bridge} ! -o {b.bridge} -j DROP",
            f"-A {chains.isolation1} ! -i {b.bridge} -o {b.bridge} -j DROP",
        )
    ]
    isolation1.append(f"-A {chains.isolation1} -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j RETURN")
    isolation1 += [
        f"-A {chains.isolation1} -i {b.bridge} ! -o {b.bridge} -j {chains.isolation2}"
        for b in bridges
        if not b.internal
    ]
    isolation2 = [f"-A {chains.isolation2} -o {b.bridge} -j DROP" for b in bridges]
    forward = [f"-A {chains.forward} -j {chains.isolation1}"]
    for b in bridges:
        forward.append(f"-A {chains.forward} -o {b.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        if not b.internal:
            forward.append(f"-A {chains.forward} -o {b.bridge} -m conntrack --ctstate DNAT -j ACCEPT")
        forward.append(f"-A {chains.forward} -i {b.bridge} -o {b.bridge} -j {'ACCEPT' if b.icc else 'DROP'}")
        if not b.internal:
            forward.append(f"-A {chains.forward} -i {b.bridge} ! -o {b.bridge} -j ACCEPT")
    return forward + isolation1 + isolation2


def render_host_rules(chains: ChainNames, bridges: Iterable[BridgePolicy], ports: Iterable[PublishedPort]) -> str:
    """iptables-restore --noflush input that rebuilds every host chain of ours from scratch."""
    bridges = sorted(bridges, key=lambda b: b.bridge)
    ports = sorted(ports, key=lambda p: (p.proto, p.host_port, p.host_ip))
    lines = []
    for table, rules in (("nat", _nat_rules(chains, bridges, ports)), ("filter", _filter_rules(chains, bridges))):
        lines.append(f"*{table}")
        lines += [f":{chain} - [0:0]" for chain in chains.host_chains()[table]]
        lines += rules
        lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def render_dns_rules(chains: ChainNames, udp_port: int, tcp_port: int) -> str:
    """iptables-restore input for a container's own nat table: 127.0.0.11:53 -> the embedded DNS sockets.
    The table is the room's alone (as Docker's DOCKER_OUTPUT there), so it is loaded whole."""
    dns = f"{DNS_ADDRESS}/32"
    lines = ["*nat", *(f":{chain} ACCEPT [0:0]" for chain in ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"))]
    lines += [
        f":{chains.dns_output} - [0:0]",
        f":{chains.dns_postrouting} - [0:0]",
        f"-A OUTPUT -d {dns} -j {chains.dns_output}",
        f"-A POSTROUTING -d {dns} -j {chains.dns_postrouting}",
    ]
    for proto, port in (("tcp", tcp_port), ("udp", udp_port)):
        match = f"-p {proto} -m {proto}"
        lines.append(
            f"-A {chains.dns_output} -d {dns} {match} --dport 53 -j DNAT --to-destination {DNS_ADDRESS}:{port}"
        )
        lines.append(f"-A {chains.dns_postrouting} -s {dns} {match} --sport {port} -j SNAT --to-source :53")
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"
