"""NetworkService: the network room's one entry point for the engine and the API (Docker-shaped request bodies
in; typed records out, which runtime.api.shapes renders; typed errors from runtime/errors.py). Every call holds
one lock: the daemon's API threads may call at once, and the kernel objects, rules and state files must change
in step."""

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import rfc3339
from runtime.errors import Conflict, EngineError, Forbidden
from runtime.network.attachments import Attachments
from runtime.network.config import NetworkConfig, Sandbox, SandboxSpec
from runtime.network.create_options import parse_create_body
from runtime.network.dns_server import EmbeddedDns
from runtime.network.filters import LIST_FILTERS, PRUNE_FILTERS, matches_list, matches_prune, normalize_filters
from runtime.network.firewall import HostFirewall
from runtime.network.hostfiles import daemon_upstreams
from runtime.network.ipam import pick_subnet
from runtime.network.links import delete_link, enable_ip_forward, ensure_bridge, host_routes, link_exists
from runtime.network.port_allocator import HostPortAllocator
from runtime.network.predefined import ensure_predefined, new_network_id
from runtime.network.records import NetworkRecord
from runtime.network.registry import NetworkRegistry
from runtime.network.revival import restore_sandboxes
from runtime.network.sandboxes import SandboxManager
from runtime.network.store import NetworkStore
from runtime.network.sublinks import check_kernel_support, delete_parent, ensure_parent, sublink_record
from runtime.network.teardown import teardown_room
from runtime.network.views import ContainerNetworking, NetworkMember, NetworkView

if TYPE_CHECKING:
    from runtime.network.cluster import ClusterHost, ClusterStore
    from runtime.network.cluster.keys import LostClaim

log = logging.getLogger(__name__)
OVERLAP = "invalid pool request: Pool overlaps with other one on this address space"


# (action, network id, attributes) for `docker events`: create, destroy, connect, disconnect, as moby's.
NetworkEvents = Callable[[str, str, dict[str, str]], None]


class NetworkService:
    def __init__(
        self,
        data_root: Path,
        exec_root: Path,
        config: NetworkConfig | None = None,
        events: NetworkEvents | None = None,
        cluster: "ClusterStore | None" = None,
    ) -> None:
        self.config = config or NetworkConfig()
        self._events = events
        self.store = NetworkStore(data_root)
        self.cluster = cluster
        self.registry = NetworkRegistry(self.store)
        netns_dir = exec_root / "netns"
        self.overlays = None
        if cluster is not None:  # imported only with a cluster store: etcd's client costs every start otherwise
            from runtime.network.overlays import Overlays

            self.overlays = Overlays(cluster, self.registry, self.config, netns_dir)
        self.firewall = HostFirewall(self.config.chain_prefix)
        self.dns = EmbeddedDns(daemon_upstreams(self.config))
        self.ports = HostPortAllocator()
        self.sandboxes = SandboxManager(
            self.config, netns_dir, self.store, self.registry, self.firewall, self.dns, self.ports, self.overlays
        )
        self.attachments = Attachments(self.sandboxes)
        self._lock = threading.RLock()

    # -- daemon life ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Load state, make sure bridge/host/none and every bridge exist, rebuild the rules. Call restore() next."""
        with self._lock:
            self.registry.load()
            self.sandboxes.load()
            ensure_predefined(self.registry, self.config)
            for network in self.registry.bridges():
                created = ensure_bridge(network.bridge_name, self._bridge_address(network), network.mtu)
                if created and not network.bridge_created:
                    self.registry.put(replace(network, bridge_created=True))
            if self.config.enable_ip_forward:
                enable_ip_forward()
            self.sandboxes.sync()

    def restore(self, running: Mapping[str, Path]) -> None:
        """After start(): container id -> netns path of the containers still running; the rest are undone."""
        with self._lock:
            restore_sandboxes(self.sandboxes, running)
        if self.cluster is not None:
            self.cluster.start(self._cluster_changed, self._cluster_claims, self._cluster_claim_lost)

    def _cluster_changed(self) -> None:
        """The watch saw the store change: global networks, overlay entries and DNS views follow."""
        with self._lock:
            self.overlays.reconcile(self.sandboxes.global_use())
            self.sandboxes.sync()

    def _cluster_claims(self):
        with self._lock:
            return self.overlays.claims(list(self.sandboxes.containers.values()))

    def _cluster_claim_lost(self, lost: "LostClaim") -> None:
        """Split brain: another host took this container's address while this host was cut off from the store
        for longer than its lease. That host keeps it (its container has been reachable at it since); this one's
        leaves the network, with a disconnect event, rather than answer at an address two containers now have."""
        network = self.registry.get(lost.network_id)
        name = network.name if network is not None else lost.network_id
        log.error(
            "network: %s on %s is held by host %s (this host was cut off from the cluster store for longer than its "
            "lease, and the address was given away); container %s leaves %s",
            lost.address,
            name,
            lost.holder,
            lost.owner[:12],
            name,
        )
        try:
            self.disconnect(lost.network_id, lost.owner, force=True)
        except EngineError as exc:  # it stopped or left meanwhile: nothing is left at the address
            log.warning("network: %s: %s", lost.owner[:12], exc.message)

    def cluster_hosts(self) -> "list[ClusterHost]":
        """The hosts of the cluster store (ClusterHost records) as last seen; none without a cluster store."""
        return self.cluster.all_hosts() if self.cluster is not None else []

    def save_pools(self) -> None:
        """Write the address pools a full disk kept from their file; OSError if the disk still refuses."""
        with self._lock:
            self.registry.save_pools()

    def close(self) -> None:
        """Stop serving DNS and release port reservations; networks, rules and containers live on."""
        if self.overlays is not None:
            self.overlays.close()
            self.cluster.close()
        with self._lock:
            self.dns.close()
            self.ports.close()

    def teardown(self) -> None:
        """Remove everything the room made (sandboxes, bridges, overlays, rules, netns files) and its state:
        for tests and uninstall (teardown.py). The service is unusable afterwards."""
        with self._lock:
            failures = teardown_room(self.registry, self.sandboxes, self.firewall)
        self.close()
        if failures:
            raise failures[0]

    def _bridge_address(self, network: NetworkRecord) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(f"{network.gateway}/{network.network.prefixlen}")

    # -- networks ------------------------------------------------------------------------------------

    def create_network(self, body: Mapping[str, Any]) -> NetworkRecord:
        """POST /networks/create: the network made."""
        options = parse_create_body(body)
        with self._lock:
            if self.registry.by_name(options.name) is not None:
                raise Conflict(f"network with name {options.name} already exists")
            if options.driver == "overlay":
                return self._created(self._create_overlay(options))
            subnet = options.subnet
            if subnet is not None and any(subnet.overlaps(s) for s in self.registry.subnets()):
                raise Forbidden(OVERLAP)
            if subnet is None:
                taken = [*self.registry.subnets(), *host_routes()]
                subnet = pick_subnet(self.config.pool_network, self.config.pool_prefixlen, taken)
            if options.driver in ("macvlan", "ipvlan"):
                return self._created(self._create_sublink(options, subnet))
            network_id = new_network_id()
            bridge = options.bridge_name or f"br-{network_id[:12]}"
            user = next((n for n in self.registry.bridges() if n.bridge_name == bridge), None)
            if user is not None:
                raise Conflict(f"network: bridge name {bridge}: already used by network {user.name}")
            record = NetworkRecord(
                id=network_id,
                name=options.name,
                driver="bridge",
                created=rfc3339.now(),
                subnet=str(subnet),
                gateway=str(options.gateway or subnet.network_address + 1),
                gateway_given=options.gateway is not None or options.subnet is None,
                ip_range=str(options.ip_range) if options.ip_range else None,
                user_subnet=options.subnet is not None,
                internal=options.internal,
                attachable=options.attachable,
                bridge_name=bridge,
                mtu=options.mtu or self.config.mtu,
                icc=options.icc,
                masquerade=options.masquerade,
                options=options.options,
                labels=options.labels,
                aux_addresses=options.aux_addresses,
            )
            # Recorded before the bridge is made: a daemon killed in between finds the network at its restart
            # (start() makes the bridge then) instead of a bridge no network holds.
            record = replace(record, bridge_created=not link_exists(bridge))
            self.registry.put(record)
            try:
                ensure_bridge(bridge, self._bridge_address(record), record.mtu)
                self.sandboxes.sync()
            except BaseException:
                self.registry.remove(network_id)
                if record.bridge_created:
                    delete_link(bridge)
                self.sandboxes.sync_after_failure()
                raise
            return self._created(record)

    def _create_sublink(self, options, subnet) -> NetworkRecord:
        record = sublink_record(options, subnet, new_network_id(), self.config.mtu)
        created = ensure_parent(record.parent)
        try:
            check_kernel_support(record.driver, record.parent)
            record = replace(record, parent_created=created)
            self.registry.put(record)
            self.sandboxes.sync()
        except BaseException:
            self.registry.remove(record.id)
            delete_parent(replace(record, parent_created=created))
            raise
        return record

    def _create_overlay(self, options) -> NetworkRecord:
        if self.overlays is None:
            raise Forbidden(
                "network: driver overlay: this daemon has no cluster store (porthole daemon --cluster-store etcd://...)"
            )
        record = self.overlays.create(options)
        self.registry.put(record)
        return record

    def _created(self, record: NetworkRecord) -> NetworkRecord:
        self._event("create", record)
        return record

    def inspect_network(self, ref: str) -> NetworkView:
        """GET /networks/{id}: by full id, name or unique id prefix, with the running containers on it."""
        with self._lock:
            network = self.registry.resolve(ref)
            members = tuple(
                NetworkMember(record, record.endpoint(network.id))
                for record in self.sandboxes.containers_on(network.id).values()
            )
            return NetworkView(network, members)

    def list_networks(self, filters: Mapping[str, Any] | None = None) -> list[NetworkRecord]:
        """GET /networks: filters name, id, driver, label, type (custom|builtin), scope, dangling."""
        wanted = normalize_filters(filters, LIST_FILTERS)
        with self._lock:
            return [n for n in self.registry.all() if matches_list(n, self.sandboxes.in_use(n.id), wanted)]

    def remove_network(self, ref: str) -> None:
        with self._lock:
            network = self.registry.resolve(ref)
            if network.predefined:
                raise Forbidden(f"{network.name} is a pre-defined network and cannot be removed")
            if self.sandboxes.in_use(network.id):
                raise Conflict(
                    f"error while removing network: network {network.name} id {network.id} has active endpoints"
                )
            if network.is_overlay and self.overlays is not None:
                self.overlays.remove(network)
            self.registry.remove(network.id)
            self.sandboxes.sync()
            if network.bridge_created:
                delete_link(network.bridge_name)
            if network.is_sublink and not any(n.parent == network.parent for n in self.registry.all()):
                delete_parent(network)
            self._event("destroy", network)

    def prune_networks(self, filters: Mapping[str, Any] | None = None) -> list[str]:
        """POST /networks/prune: remove unused user-defined networks (filters until, label, label!) -> names."""
        wanted = normalize_filters(filters, PRUNE_FILTERS)
        removed = []
        with self._lock:
            now = time.time()
            for network in self.registry.all():
                if network.predefined or self.sandboxes.in_use(network.id):
                    continue
                if not matches_prune(network, wanted, now):
                    continue
                try:
                    self.remove_network(network.id)
                except Conflict:
                    if network.scope != "global":
                        raise
                    continue  # a global network another host still uses: not unused, kept
                removed.append(network.name)
        return removed

    # -- containers ----------------------------------------------------------------------------------

    def register_container(self, spec: SandboxSpec) -> None:
        """At container create: check and record its networks, ports and DNS options (400/404 on bad input)."""
        with self._lock:
            self.sandboxes.register(spec)

    def planned_sandbox(self, spec: SandboxSpec) -> Sandbox:
        """Where create_sandbox(spec) will put the namespace and files; nothing is made."""
        with self._lock:
            return self.sandboxes.planned(spec)

    def create_sandbox(self, spec: SandboxSpec) -> Sandbox:
        """At container start: netns, endpoints, ports, DNS and files; all undone if any step fails."""
        with self._lock:
            sandbox = self.sandboxes.create_sandbox(spec)
            self._container_events("connect", spec.container_id)
            return sandbox

    def destroy_sandbox(self, container_id: str) -> None:
        """At container stop: release addresses, ports, DNS names, rules, veths and the netns. Idempotent."""
        with self._lock:
            record = self.sandboxes.containers.get(container_id)
            running = record is not None and record.running
            self.sandboxes.destroy_sandbox(container_id)
            if running:
                self._container_events("disconnect", container_id, record)

    def rename_container(self, container_id: str, name: str) -> None:
        """`docker rename`: the record's name, and the DNS views that answer to it."""
        with self._lock:
            record = self.sandboxes.containers.get(container_id)
            if record is not None:
                self.sandboxes.save(replace(record, name=name))
                self.sandboxes.sync()

    def forget_container(self, container_id: str) -> None:
        """At container rm: destroy the sandbox if any and drop the container's record."""
        with self._lock:
            self.sandboxes.forget(container_id)

    def connect(self, network_ref: str, container_id: str, endpoint_config: Mapping[str, Any] | None) -> None:
        with self._lock:
            self.attachments.connect(network_ref, container_id, endpoint_config)
            if self.sandboxes.containers[container_id].running:  # else at its start
                self._event("connect", self.registry.resolve(network_ref), container=container_id)

    def disconnect(self, network_ref: str, container_id: str, force: bool = False) -> None:
        with self._lock:
            running = self.sandboxes.known(container_id).running
            self.attachments.disconnect(network_ref, container_id, force)
            if running:
                self._event("disconnect", self.registry.resolve(network_ref), container=container_id)

    def _event(self, action: str, network: NetworkRecord, **attributes: str) -> None:
        if self._events is not None:
            self._events(action, network.id, {"name": network.name, "type": network.driver, **attributes})

    def _container_events(self, action: str, container_id: str, record: Any = None) -> None:
        """connect at a container's start, disconnect at its stop: one per network it is on (host and none
        included, as in moby)."""
        record = record or self.sandboxes.containers.get(container_id)
        if record is None:
            return
        networks = self.registry.by_id()
        ids = [e.network_id for e in record.endpoints] or [
            n.id for n in networks.values() if n.predefined and n.name == record.mode
        ]
        for network_id in ids:
            if network_id in networks:
                self._event(action, networks[network_id], container=container_id)

    def networking(self, container_id: str) -> ContainerNetworking:
        """What a container's NetworkSettings and `ps` Ports show (no record for a container never registered)."""
        with self._lock:
            return self.sandboxes.networking(container_id)
