"""Overlay networks on this host: the network room's side of the cluster store.

A global network is created and removed in the store (unique name and VXLAN id, refused while any host has an
endpoint on it) and mirrored into the local registry from the store's cache. Its kernel objects (overlay_links, in
a namespace of the overlay's own) exist on a host while a container of that host is on it, as with Docker's
overlay driver; their forwarding and neighbour entries follow the endpoints the other hosts publish. An overlay
container reaches the outside through the gateway bridge (Docker's docker_gwbridge): a local bridge network without
inter-container traffic, on which it gets a second, hidden endpoint that carries its default route and its
published ports.
"""

import ipaddress
import logging
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from common import rfc3339
from runtime.errors import EngineError
from runtime.network.cluster import ClusterStore
from runtime.network.cluster.keys import AddressClaim, ClusterEndpoint, ipam_key
from runtime.network.cluster.membership import Claims
from runtime.network.config import NetworkConfig
from runtime.network.create_options import OPT_ICC, OPT_MASQUERADE, NetworkCreateOptions
from runtime.network.endpoints import activate, deactivate, mac_for, next_ifname
from runtime.network.firewall import gateway_endpoint
from runtime.network.ipam import pick_subnet
from runtime.network.links import ensure_bridge, host_routes
from runtime.network.overlay_links import (
    VXLAN_OVERHEAD,
    Peer,
    bridge_name,
    delete_overlay,
    ensure_overlay,
    overlay_netns,
    program_peers,
)
from runtime.network.records import ContainerRecord, EndpointRecord, NetworkRecord
from runtime.network.registry import NetworkRegistry
from runtime.network.views import dns_names

log = logging.getLogger(__name__)
GLOBAL_POOL = ipaddress.IPv4Network("10.0.0.0/8")  # Docker's default pool of global networks, in /24s
GATEWAY_NETWORK = "porthole_gwbridge"
GATEWAY_BRIDGE = "porthole_gwbr"


class Overlays:
    def __init__(
        self, cluster: ClusterStore, registry: NetworkRegistry, config: NetworkConfig, netns_dir: Path
    ) -> None:
        self.cluster = cluster
        self.registry = registry
        self.config = config
        self.netns_dir = netns_dir  # the overlays' namespaces are kept beside the containers'
        self._programmed: dict[str, frozenset[Peer]] = {}  # network id -> the peers last put in the kernel
        self._claimer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="porthole-cluster-claim")

    @property
    def vtep(self) -> str:
        return self.cluster.host.address

    def netns(self, network_id: str) -> Path:
        """The overlay's namespace: its bridge, its VXLAN device and the host ends of its containers' veths."""
        return overlay_netns(self.netns_dir, network_id)

    # -- networks ----------------------------------------------------------------------------------------

    def create(self, options: NetworkCreateOptions) -> NetworkRecord:
        subnet = options.subnet
        known = [n.network for n in self.cluster.networks.values() if n.subnet]
        if subnet is None:
            subnet = pick_subnet(GLOBAL_POOL, 24, [*known, *self.registry.subnets(), *host_routes()])
        network_id = os.urandom(32).hex()
        record = NetworkRecord(
            id=network_id,
            name=options.name,
            driver="overlay",
            created=rfc3339.now(),
            subnet=str(subnet),
            gateway=str(options.gateway or subnet.network_address + 1),
            ip_range=str(options.ip_range) if options.ip_range else None,
            user_subnet=options.subnet is not None,
            internal=options.internal,
            attachable=options.attachable,
            bridge_name=bridge_name(network_id),
            mtu=(options.mtu or self.config.mtu) - VXLAN_OVERHEAD,
            options=options.options,
            labels=options.labels,
            scope="global",
            aux_addresses=options.aux_addresses,
        )
        return self.cluster.create_network(record)

    def remove(self, network: NetworkRecord) -> None:
        self.cluster.remove_network(network)
        delete_overlay(self.netns(network.id))
        self._programmed.pop(network.id, None)

    def gateway_network(self) -> NetworkRecord:
        """The local bridge an overlay container leaves by (made at the first need; the daemon's start makes
        sure it exists after that, as every bridge)."""
        network = self.registry.by_name(GATEWAY_NETWORK)
        if network is not None and network.bridge_created:
            return network
        if network is None:
            subnet = pick_subnet(
                self.config.pool_network, self.config.pool_prefixlen, [*self.registry.subnets(), *host_routes()]
            )
            network = NetworkRecord(
                id=os.urandom(32).hex(),
                name=GATEWAY_NETWORK,
                driver="bridge",
                created=rfc3339.now(),
                subnet=str(subnet),
                gateway=str(subnet.network_address + 1),
                bridge_name=GATEWAY_BRIDGE,
                mtu=self.config.mtu,
                icc=False,  # overlay containers on different overlays must not meet here
                options={OPT_ICC: "false", OPT_MASQUERADE: "true"},
            )
        address = ipaddress.IPv4Interface(f"{network.gateway}/{network.network.prefixlen}")
        created = ensure_bridge(network.bridge_name, address, network.mtu)
        if created or not network.bridge_created:
            network = replace(network, bridge_created=True)
            self.registry.put(network)
        return network

    # -- endpoints ---------------------------------------------------------------------------------------

    def prepare(self, network: NetworkRecord) -> None:
        """The network's bridge and VXLAN device on this host; when just made, every remote endpoint programmed
        (from then on the store's watch keeps the entries current)."""
        if ensure_overlay(network, self.vtep, self.netns(network.id)):
            self._programmed.pop(network.id, None)  # what was "programmed" while it had no device went nowhere
            self._program(network)

    def _program(self, network: NetworkRecord) -> None:
        """The device's entries as the store has the other hosts' endpoints, if they changed since last time."""
        peers = frozenset(Peer(e.mac, e.ip, e.vtep) for e in self.cluster.remote_endpoints(network.id))
        if self._programmed.get(network.id) != peers:
            program_peers(network, self.netns(network.id), peers)  # a network without a device here: nothing
            self._programmed[network.id] = peers

    def dns_entries(self, network_id: str) -> list[tuple[str, tuple[str, ...]]]:
        """(address, names) of the other hosts' endpoints on the network, for the embedded DNS."""
        return [(e.ip, e.dns_names) for e in self.cluster.remote_endpoints(network_id)]

    def _published(self, record: ContainerRecord, network: NetworkRecord, endpoint: EndpointRecord) -> ClusterEndpoint:
        return ClusterEndpoint(
            network_id=network.id,
            endpoint_id=endpoint.endpoint_id,
            host_id=self.cluster.host.host_id,
            vtep=self.vtep,
            container_id=record.container_id,
            name=record.name,
            dns_names=tuple(dns_names(record, network, endpoint) or ()),
            ip=endpoint.ip,
            mac=endpoint.mac,
        )

    def claims(self, containers: Iterable[ContainerRecord]) -> Claims:
        """What this host's running containers hold on global networks (republished after an outage)."""
        addresses, endpoints = {}, []
        networks = self.registry.by_id()
        for record in containers:
            for endpoint in record.endpoints if record.running else ():
                network = networks.get(endpoint.network_id)
                if network is None or not network.is_overlay or not endpoint.ip:
                    continue
                addresses[ipam_key(network.id, endpoint.ip)] = AddressClaim(
                    self.cluster.host.host_id, record.container_id
                )
                endpoints.append(self._published(record, network, endpoint))
        return Claims(addresses, endpoints)

    # -- following the store -----------------------------------------------------------------------------

    def reconcile(self, in_use: Mapping[str, bool]) -> None:
        """After a change in the store: global networks into the registry (and out, unless used here), and the
        kernel's entries of every overlay present here in line with the other hosts' endpoints."""
        seen = dict(self.cluster.networks)
        for network in seen.values():
            if self.registry.get(network.id) != network:
                self.registry.put(network)
        for network in self.registry.all():
            if network.scope != "global":
                continue
            if network.id not in seen and self.cluster.synced.is_set() and not in_use.get(network.id):
                self.registry.remove(network.id)
                delete_overlay(self.netns(network.id))
                self._programmed.pop(network.id, None)
                continue
            try:
                self._program(network)
            except EngineError:
                log.exception("network: overlay %s: could not follow the cluster store", network.name)

    # -- a container's side --------------------------------------------------------------------------------

    def join(
        self, record: ContainerRecord, network: NetworkRecord, endpoint: EndpointRecord, netns: Path
    ) -> ContainerRecord:
        """-> the record with its endpoint on the overlay (and its way out, when this endpoint is its first
        one out). The address and the endpoint are claimed in the store in one transaction (the other hosts
        learn of it at once), in a thread: meanwhile the way out's veth pair is made (both take 5-20 ms here).
        On failure the claim is withdrawn and nothing made is left."""
        self.prepare(network)
        endpoint_id = os.urandom(32).hex()

        def at(address: str) -> ClusterEndpoint:
            mac = endpoint.requested_mac or mac_for(ipaddress.IPv4Address(address))
            return self._published(record, network, replace(endpoint, endpoint_id=endpoint_id, ip=address, mac=mac))

        ifname = next_ifname(record)  # the overlay's interface comes first, as Docker's eth0
        claim = self._claimer.submit(self.cluster.claim, network, record.container_id, endpoint.requested_ip, at)
        way_out = None
        try:
            if self._needs_way_out(record, network):
                way_out = self._gateway_endpoint(record, netns, taken=(ifname,))
            claimed = claim.result()
        except BaseException:
            self._undo_join(claim, way_out, network.id, endpoint_id)
            raise
        try:
            live = activate(
                self.registry,
                record,
                replace(endpoint, endpoint_id=endpoint_id, ip=claimed.ip, ifname=ifname),
                netns,
                self.netns(network.id),
            )
        except BaseException:
            self._undo_join(claim, way_out, network.id, endpoint_id)
            raise
        record = record.with_endpoint(live)
        return record.with_endpoint(way_out) if way_out is not None else record

    def _undo_join(self, claim: Future, way_out: EndpointRecord | None, network_id: str, endpoint_id: str) -> None:
        if way_out is not None:
            deactivate(self.registry, way_out)
        if claim.exception() is None:  # waits for it: a claim still in flight would outlive the failure
            self.cluster.unclaim(network_id, endpoint_id, claim.result().ip)

    def close(self) -> None:
        self._claimer.shutdown(wait=True)

    def leave(self, endpoint: EndpointRecord, unplug: bool) -> None:
        if endpoint.endpoint_id and endpoint.ip:
            self.cluster.unclaim(endpoint.network_id, endpoint.endpoint_id, endpoint.ip)
        deactivate(self.registry, endpoint, unplug=unplug, release=False, bridge_netns=self.netns(endpoint.network_id))

    def _needs_way_out(self, record: ContainerRecord, joining: NetworkRecord | None) -> bool:
        """Whether the record (with `joining` added) is on a non-internal overlay and has no way out yet."""
        networks = self.registry.by_id()
        if gateway_endpoint(record, networks) is not None or any(e.gateway_only for e in record.endpoints):
            return False
        on = [networks.get(e.network_id) for e in record.endpoints if not e.gateway_only] + [joining]
        return any(n is not None and n.is_overlay and not n.internal for n in on)

    def _gateway_endpoint(self, record: ContainerRecord, netns: Path, taken: tuple[str, ...] = ()) -> EndpointRecord:
        gateway = self.gateway_network()
        wanted = EndpointRecord(gateway.id, gateway_only=True, ifname=next_ifname(record, taken))
        return activate(self.registry, record, wanted, netns)
