"""Containers in the network room: their sandboxes (netns, endpoints, published ports, embedded DNS, files)
and the pieces that connect, disconnect and a daemon restart (revival.py) share. NetworkService holds the lock
around every call.

A container is recorded at create (register) and forgotten at rm (forget); its sandbox lives from start
(create_sandbox) to stop (destroy_sandbox), as Docker's does: a stopped container holds no address, port or
DNS name. A sandbox's record names its namespace before anything is made, so a crash half-way leaves a
record that restore_sandboxes() can undo.
"""

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.errors import Conflict, EngineError, InvalidParameter, NotFound
from runtime.network import hostfiles
from runtime.network.config import NetworkConfig, Sandbox, SandboxSpec, container_upstreams
from runtime.network.container_specs import record_from_spec, refreshed
from runtime.network.dns_answers import build_views
from runtime.network.dns_server import EmbeddedDns
from runtime.network.dns_views import link_aliases, local_dns_entries, qualified
from runtime.network.endpoints import activate, deactivate
from runtime.network.firewall import HostFirewall, gateway_endpoint, route_endpoint
from runtime.network.links import bring_up_loopback, set_default_route
from runtime.network.netns import create_netns, remove_netns
from runtime.network.port_allocator import HostPortAllocator
from runtime.network.records import (
    HOST,
    MODE_BRIDGE,
    MODE_CONTAINER,
    MODE_HOST,
    NONE,
    ContainerRecord,
    EndpointRecord,
    NetworkRecord,
)
from runtime.network.registry import NetworkRegistry
from runtime.network.store import NetworkStore
from runtime.network.sublinks import remove_sublink
from runtime.network.views import ContainerNetworking

if TYPE_CHECKING:
    from runtime.network.overlays import Overlays

log = logging.getLogger(__name__)


class SandboxManager:
    def __init__(
        self,
        config: NetworkConfig,
        netns_dir: Path,
        store: NetworkStore,
        registry: NetworkRegistry,
        firewall: HostFirewall,
        dns: EmbeddedDns,
        ports: HostPortAllocator,
        overlays: "Overlays | None" = None,
    ) -> None:
        self.config = config
        self.overlays = overlays  # None: no cluster store, no global networks
        self.netns_dir = netns_dir  # the containers' namespace files (and the overlays', overlay_links)
        self.store = store
        self.registry = registry
        self.firewall = firewall
        self.dns = dns
        self.ports = ports
        self.containers: dict[str, ContainerRecord] = {}
        self._dns_attached: set[str] = set()

    @property
    def host_gateway(self) -> str:
        return str(self.config.bridge_address.ip)

    def load(self) -> None:
        self.containers = {r.container_id: r for r in self.store.load_containers()}

    def save(self, record: ContainerRecord) -> ContainerRecord:
        self.store.save_container(record)
        self.containers[record.container_id] = record
        return record

    def known(self, container_id: str) -> ContainerRecord:
        record = self.containers.get(container_id)
        if record is None:
            raise NotFound(f"network: container {container_id}: not registered with the network room")
        return record

    # -- lifecycle -----------------------------------------------------------------------------------

    def register(self, spec: SandboxSpec) -> ContainerRecord:
        return self.save(self._record_for(spec))

    def _record_for(self, spec: SandboxSpec) -> ContainerRecord:
        existing = self.containers.get(spec.container_id)
        if existing is not None:
            return refreshed(existing, spec, self.host_gateway)
        return record_from_spec(spec, self.registry, self.host_gateway)

    def _remember(self, record: ContainerRecord) -> ContainerRecord:
        """Keep a step's record in memory only (for the undo of a failure); the last step writes it."""
        self.containers[record.container_id] = record
        return record

    def create_sandbox(self, spec: SandboxSpec) -> Sandbox:
        """One record is written before anything is made, naming the namespace to come: after a crash half-way,
        restore() removes that namespace (its veths die with it) and the pools keep only the addresses of
        running containers. The steps in between are written once, at the end (each write is an fsync)."""
        record = self._record_for(spec)
        if record.running:
            raise Conflict(f"network: sandbox of container {record.container_id}: already exists")
        if record.mode == MODE_CONTAINER:
            return self._join(record)
        netns = self._own_netns(record)
        record = self.save(
            replace(record, running=True, sandbox_id=os.urandom(32).hex(), netns_path=str(netns) if netns else None)
        )
        if netns is None:
            self.write_files(record)
            return self.sandbox_of(record)
        try:
            remove_netns(netns)  # a file left by a crash before this container's record was written
            create_netns(netns)
            bring_up_loopback(netns)
            for endpoint in record.endpoints:
                network = self.registry.get(endpoint.network_id)
                if network is None:
                    raise NotFound(f"network {endpoint.network_id} not found")
                record = self._remember(self.join(record, network, endpoint, netns))
            if record.endpoints:  # without, there is nothing to route: a new namespace has no default route
                self.route(record)
            record = self._remember(self._allocate_ports(record))
            self.attach_dns(record)
            self.sync()
            self.write_files(record)
            self.save(record)
        except BaseException as error:
            try:
                self.undo(self.containers[record.container_id])
            except (EngineError, OSError) as second:  # its record's write, on a full disk: destroy_sandbox
                error.add_note(f"network: undoing the sandbox of {record.name} failed: {second}")  # retries it
            self.sync_after_failure()
            raise
        return self.sandbox_of(record)

    def planned(self, spec: SandboxSpec) -> Sandbox:
        """Where create_sandbox(spec) will put the namespace and the files, known before anything is made (the
        engine names them in the container's spec while the sandbox is being made)."""
        record = self._record_for(spec)
        if record.mode == MODE_CONTAINER:
            return self.sandbox_of(replace(record, netns_path=self._join_target(record).netns_path))
        netns = self._own_netns(record)
        return self.sandbox_of(replace(record, netns_path=str(netns) if netns else None))

    def _own_netns(self, record: ContainerRecord) -> Path | None:
        return None if record.mode == MODE_HOST else self.netns_dir / record.container_id

    def _join(self, record: ContainerRecord) -> Sandbox:
        target = self._join_target(record)
        record = self.save(replace(record, running=True, sandbox_id=target.sandbox_id, netns_path=target.netns_path))
        return self.sandbox_of(record)

    def _join_target(self, record: ContainerRecord) -> ContainerRecord:
        target = self.containers.get(record.joined_to or "")
        if target is None or not target.running or target.mode == MODE_CONTAINER:
            raise Conflict(f"cannot join network of a non running container: {record.joined_to}")
        return target

    def sandbox_of(self, record: ContainerRecord) -> Sandbox:
        files = Path((self.containers[record.joined_to] if record.mode == MODE_CONTAINER else record).container_dir)
        return Sandbox(
            container_id=record.container_id,
            netns_path=Path(record.netns_path) if record.netns_path else None,
            hosts_path=files / "hosts",
            resolv_conf_path=files / "resolv.conf",
            hostname_path=files / "hostname",
        )

    def _allocate_ports(self, record: ContainerRecord) -> ContainerRecord:
        if not record.port_requests or gateway_endpoint(record, self.registry.by_id()) is None:
            return record  # Docker publishes nothing for a container with no outbound network
        try:
            mappings = tuple(self.ports.allocate(record.container_id, r) for r in record.port_requests)
        except BaseException:
            self.ports.release_owner(record.container_id)
            raise
        return replace(record, ports=mappings)

    def undo(self, record: ContainerRecord) -> ContainerRecord:
        """Undo a sandbox and record it stopped. The record is written before memory changes: if the write
        fails (a full disk), memory still says running and undo() can be called again (each step is
        idempotent), as destroy_sandbox() is by the engine's retries."""
        return self.save(self._release(record))

    def _release(self, record: ContainerRecord) -> ContainerRecord:
        """Undo a sandbox, whole or half-made: each step is tried, a failed one is logged and the rest go on.

        The veths go with the namespace: once its file is unmounted and nothing is left in it, the kernel
        deletes them on its own. Deleting a veth waits for RCU grace periods (about 25 ms), which would
        otherwise be added to every container's exit. They are deleted here only when something keeps the
        namespace alive: a running container that shares it, or an unmount that failed."""
        self.dns.detach(record.container_id)
        self._dns_attached.discard(record.container_id)
        self.ports.release_owner(record.container_id)
        if record.mode != MODE_CONTAINER:
            unplug = not self._release_netns(record) or self._shared(record.container_id)
            for endpoint in record.endpoints:
                try:
                    self.leave(endpoint, unplug=unplug)
                except (EngineError, OSError):
                    log.exception("network: endpoint of %s on %s: cleanup failed", record.name, endpoint.network_id)
        return record.stopped()

    def _release_netns(self, record: ContainerRecord) -> bool:
        """Unmount and delete the namespace file; False if it could not be."""
        if not record.netns_path:
            return True
        try:
            remove_netns(Path(record.netns_path))
        except (EngineError, OSError):
            log.exception("network: netns %s: cleanup failed", record.netns_path)
            return False
        return True

    def _shared(self, container_id: str) -> bool:
        """Whether a running container joined this one's namespace (`--network container:`)."""
        return any(r.running and r.joined_to == container_id for r in self.containers.values())

    def join(
        self, record: ContainerRecord, network: NetworkRecord, endpoint: EndpointRecord, netns: Path
    ) -> ContainerRecord:
        """One endpoint up (a veth on the network's bridge, a link of a macvlan's parent, or on an overlay:
        published to the cluster, with the way out it may need) -> the record with it."""
        if not network.is_overlay:
            return record.with_endpoint(activate(self.registry, record, endpoint, netns))
        if self.overlays is None:
            raise InvalidParameter(f"network: overlay {network.name}: this daemon has no --cluster-store")
        return self.overlays.join(record, network, endpoint, netns)

    def leave(self, endpoint: EndpointRecord, unplug: bool = True, netns: str | None = None) -> None:
        """One endpoint down; unplug: take its link out now (a disconnect) rather than with the namespace."""
        network = self.registry.get(endpoint.network_id)
        in_namespace_only = network is not None and (network.is_sublink or network.is_overlay)
        if in_namespace_only and unplug and netns and endpoint.ifname and not endpoint.host_ifname:
            remove_sublink(Path(netns), endpoint.ifname)  # a macvlan or ipvlan link: no host end to delete
        if network is not None and network.is_overlay and self.overlays is not None:
            self.overlays.leave(endpoint, unplug)
        else:
            deactivate(self.registry, endpoint, unplug=unplug)

    def destroy_sandbox(self, container_id: str) -> None:
        record = self.containers.get(container_id)
        if record is None or not record.running:
            return
        self.undo(record)
        self.sync()

    def global_use(self) -> dict[str, bool]:
        """Global network id -> whether a container of this host is on it now."""
        return {n.id: self.in_use(n.id) for n in self.registry.all() if n.scope == "global"}

    def forget(self, container_id: str) -> None:
        """Undo the sandbox if any and drop the record; nothing is written, so it works on a full disk."""
        record = self.containers.get(container_id)
        if record is not None and record.running:
            self._release(record)
        self.store.delete_container(container_id)
        self.containers.pop(container_id, None)
        if record is not None and record.running:
            self.sync()

    # -- pieces used on every change ---------------------------------------------------------------------

    def route(self, record: ContainerRecord) -> None:
        endpoint = route_endpoint(record, self.registry.by_id())
        gateway = self.registry.get(endpoint.network_id).gateway_address if endpoint else None
        set_default_route(Path(record.netns_path), gateway)

    def attach_dns(self, record: ContainerRecord) -> None:
        """Start the embedded DNS for a container once it has an endpoint on a user-defined network."""
        if record.container_id in self._dns_attached or record.mode != MODE_BRIDGE:
            return
        networks = self.registry.by_id()
        if not any(networks[e.network_id].has_dns for e in record.endpoints if e.network_id in networks):
            return
        netns = Path(record.netns_path)
        udp_port, tcp_port = self.dns.attach(record.container_id, netns, container_upstreams(record.dns))
        self._dns_attached.add(record.container_id)
        self.firewall.install_dns_redirect(netns, udp_port, tcp_port)

    def sync(self) -> None:
        """Bring the host's rules and every container's DNS view in line with the records."""
        networks = self.registry.by_id()
        self.firewall.apply(networks.values(), self.containers.values())
        memberships, entries = local_dns_entries(self.containers.values(), networks)
        for network in networks.values():
            if network.is_overlay and self.overlays is not None:
                entries.setdefault(network.id, []).extend(self.overlays.dns_entries(network.id))
        self.dns.publish(build_views(memberships, qualified(entries, networks), link_aliases(self.containers.values())))

    def sync_after_failure(self) -> None:
        """sync() while an error is on its way up: a second failure is logged, the first one is raised."""
        try:
            self.sync()
        except (EngineError, OSError):
            log.exception("network: rules and DNS could not be brought in line after a failure")

    def write_files(self, record: ContainerRecord) -> None:
        """hosts, resolv.conf and hostname in the container's directory (the joined share the target's)."""
        embedded = record.container_id in self._dns_attached
        hostfiles.write_container_files(record, self.config, self.host_gateway, embedded)

    # -- views ---------------------------------------------------------------------------------------

    def networking(self, container_id: str) -> ContainerNetworking:
        record = self.containers.get(container_id)
        shown = record
        if record is not None and record.mode == MODE_CONTAINER and record.running:
            shown = self.containers.get(record.joined_to or "")  # joined: the same settings as the target
        return ContainerNetworking(record, shown, self.registry.by_id())

    def in_use(self, network_id: str) -> bool:
        return bool(self.containers_on(network_id))

    def containers_on(self, network_id: str) -> dict[str, ContainerRecord]:
        """Running containers with an endpoint on the network (or in its mode, for host and none)."""
        network = self.registry.get(network_id)
        found = {}
        for record in self.containers.values():
            if not record.running:
                continue
            endpoint = record.endpoint(network_id)
            own_mode = network.predefined and network.name in (HOST, NONE) and record.mode == network.name
            if (endpoint is not None and endpoint.ip) or own_mode:
                found[record.container_id] = record
        return found
