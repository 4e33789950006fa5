"""The host's iptables state of the room, rebuilt whole from the networks and live containers on each change,
and the per-container nat rules of the embedded DNS."""

from collections.abc import Iterable, Mapping
from pathlib import Path

from runtime.network.firewall_rules import (
    BridgePolicy,
    ChainNames,
    PublishedPort,
    base_jumps,
    render_dns_rules,
    render_host_rules,
)
from runtime.network.iptables import Iptables, remove_host_chains
from runtime.network.records import ContainerRecord, EndpointRecord, NetworkRecord


def gateway_endpoint(record: ContainerRecord, networks: Mapping[str, NetworkRecord]) -> EndpointRecord | None:
    """The endpoint that gives the container its default route and receives its published ports: the first
    one, in attach order, on a network that is not internal (Docker's choice without gateway priorities)."""
    for endpoint in record.endpoints:
        network = networks.get(endpoint.network_id)
        if network is not None and network.is_bridge and not network.internal:
            return endpoint
    return None


def route_endpoint(record: ContainerRecord, networks: Mapping[str, NetworkRecord]) -> EndpointRecord | None:
    """The endpoint the default route goes through: the gateway endpoint, else the first one on a macvlan or
    ipvlan network that is not internal (its gateway is a router on the parent's segment)."""
    found = gateway_endpoint(record, networks)
    if found is not None:
        return found
    for endpoint in record.endpoints:
        network = networks.get(endpoint.network_id)
        if network is not None and network.is_sublink and not network.internal:
            return endpoint
    return None


def bridge_policies(networks: Iterable[NetworkRecord]) -> list[BridgePolicy]:
    return [
        BridgePolicy(n.bridge_name, n.subnet, n.internal, n.icc, n.masquerade)
        for n in networks
        if n.is_bridge and n.bridge_name
    ]


def published_ports(
    containers: Iterable[ContainerRecord], networks: Mapping[str, NetworkRecord]
) -> list[PublishedPort]:
    ports = []
    for record in containers:
        if not record.running or not record.ports:
            continue
        endpoint = gateway_endpoint(record, networks)
        if endpoint is None or endpoint.ip is None:
            continue
        ports += [PublishedPort(m.proto, m.host_ip, m.host_port, endpoint.ip, m.container_port) for m in record.ports]
    return ports


class HostFirewall:
    """Our host chains, loaded only when their rendering changes: most container starts and stops (no
    published port) change no rule, and each iptables process costs about 10 ms."""

    def __init__(self, chain_prefix: str) -> None:
        self.chains = ChainNames(chain_prefix)
        self.iptables = Iptables()
        self._loaded: str | None = None  # the rules last loaded by this process; None: unknown, load

    def apply(self, networks: Iterable[NetworkRecord], containers: Iterable[ContainerRecord]) -> None:
        """Rebuild our chains from state (atomic per table), then make sure the built-in chains jump to them."""
        networks = list(networks)
        by_id = {n.id: n for n in networks}
        rules = render_host_rules(self.chains, bridge_policies(networks), published_ports(containers, by_id))
        if rules == self._loaded:
            return
        self._loaded = None
        self.iptables.restore(rules)
        for jump in base_jumps(self.chains):
            self.iptables.ensure_jump(jump)
        self._loaded = rules

    def remove(self) -> None:
        self._loaded = None
        remove_host_chains(self.iptables, self.chains)

    def install_dns_redirect(self, netns: Path, udp_port: int, tcp_port: int) -> None:
        Iptables(netns).restore(render_dns_rules(self.chains, udp_port, tcp_port), noflush=False)
