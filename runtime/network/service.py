"""NetworkService: the network room's one entry point for the engine and the API (Docker-shaped request bodies
in; typed records out, which runtime.api.shapes renders; typed errors from runtime/errors.py). Every call holds
one lock: the daemon's API threads may call at once, and the kernel objects, rules and state files must change
in step."""

import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from common import rfc3339
from runtime.errors import Conflict, EngineError, Forbidden, HostError
from runtime.network.attachments import Attachments
from runtime.network.config import NetworkConfig, Sandbox, SandboxSpec
from runtime.network.create_options import OPT_BRIDGE_NAME, OPT_ICC, OPT_MASQUERADE, OPT_MTU, parse_create_body
from runtime.network.dns_server import EmbeddedDns
from runtime.network.filters import LIST_FILTERS, PRUNE_FILTERS, matches_list, matches_prune, normalize_filters
from runtime.network.firewall import HostFirewall
from runtime.network.ipam import pick_subnet
from runtime.network.links import delete_link, enable_ip_forward, ensure_bridge, host_routes
from runtime.network.netns import remove_netns
from runtime.network.port_allocator import HostPortAllocator
from runtime.network.records import DEFAULT_BRIDGE, HOST, NONE, NetworkRecord
from runtime.network.registry import NetworkRegistry
from runtime.network.revival import restore_sandboxes
from runtime.network.sandboxes import SandboxManager
from runtime.network.store import NetworkStore
from runtime.network.views import ContainerNetworking, NetworkMember, NetworkView

log = logging.getLogger(__name__)
OVERLAP = "invalid pool request: Pool overlaps with other one on this address space"


def _new_id() -> str:
    return os.urandom(32).hex()


# (action, network id, attributes) for `docker events`: create, destroy, connect, disconnect, as moby's.
NetworkEvents = Callable[[str, str, dict[str, str]], None]


class NetworkService:
    def __init__(
        self,
        data_root: Path,
        exec_root: Path,
        config: NetworkConfig | None = None,
        events: NetworkEvents | None = None,
    ) -> None:
        self.config = config or NetworkConfig()
        self._events = events
        self.store = NetworkStore(data_root)
        self.registry = NetworkRegistry(self.store)
        self.firewall = HostFirewall(self.config.chain_prefix)
        self.dns = EmbeddedDns(self.config.upstream_servers)
        self.ports = HostPortAllocator()
        self.sandboxes = SandboxManager(
            self.config, exec_root, self.store, self.registry, self.firewall, self.dns, self.ports
        )
        self.attachments = Attachments(self.sandboxes)
        self._lock = threading.RLock()

    # -- daemon life ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Load state, make sure bridge/host/none and every bridge exist, rebuild the rules. Call restore() next."""
        with self._lock:
            self.registry.load()
            self.sandboxes.load()
            self._ensure_predefined()
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

    def save_pools(self) -> None:
        """Write the address pools a full disk kept from their file; OSError if the disk still refuses."""
        with self._lock:
            self.registry.save_pools()

    def close(self) -> None:
        """Stop serving DNS and release port reservations; networks, rules and containers live on."""
        with self._lock:
            self.dns.close()
            self.ports.close()

    def teardown(self) -> None:
        """Remove everything the room made (sandboxes, bridges, rules, netns files) and its state: for tests
        and uninstall. The service is unusable afterwards. The state is read from disk first, so a service
        built only to clean up after a daemon that is gone (never start()ed) finds that daemon's bridges.
        Every step is tried even if an earlier one failed (a half-done cleanup would leak the rest); the
        first failure is raised at the end."""
        failures: list[Exception] = []

        def attempt(step: Callable[..., object], *args: object) -> None:
            try:
                step(*args)
            except (EngineError, OSError) as exc:
                log.exception("network: teardown step %s%s failed", getattr(step, "__name__", step), args)
                failures.append(exc)

        with self._lock:
            self.registry.load()
            self.sandboxes.load()
            for container_id in list(self.sandboxes.containers):
                attempt(self.sandboxes.forget, container_id)
            for network in self.registry.all():
                if network.is_bridge and network.bridge_created:
                    attempt(delete_link, network.bridge_name)
                attempt(self.registry.remove, network.id)
            attempt(self.firewall.remove)
            netns_dir = self.sandboxes.netns_dir
            for path in netns_dir.glob("*") if netns_dir.is_dir() else ():
                attempt(remove_netns, path)
            if netns_dir.is_dir():
                attempt(netns_dir.rmdir)
        self.close()
        if failures:
            raise failures[0]

    def _bridge_address(self, network: NetworkRecord) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(f"{network.gateway}/{network.network.prefixlen}")

    def _ensure_predefined(self) -> None:
        address = self.config.bridge_address
        old = self.registry.by_name(DEFAULT_BRIDGE)
        for other in self.registry.all():
            if not other.predefined and other.subnet and other.network.overlaps(address.network):
                raise HostError(f"network: bip {self.config.bip}: overlaps network {other.name} ({other.subnet})")
        if old is not None and old.bridge_name != self.config.bridge_name and old.bridge_created:
            delete_link(old.bridge_name)  # --bridge changed since the last run: the old one is ours to drop
        options = {
            "com.docker.network.bridge.default_bridge": "true",
            OPT_ICC: "true",
            OPT_MASQUERADE: "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            OPT_BRIDGE_NAME: self.config.bridge_name,
            OPT_MTU: str(self.config.mtu),
        }
        same_bridge = old is not None and old.bridge_name == self.config.bridge_name
        self.registry.put(
            NetworkRecord(
                id=old.id if old else _new_id(),
                name=DEFAULT_BRIDGE,
                driver="bridge",
                created=old.created if old else rfc3339.now(),
                subnet=str(address.network),
                gateway=str(address.ip),
                bridge_name=self.config.bridge_name,
                bridge_created=same_bridge and old.bridge_created,
                mtu=self.config.mtu,
                predefined=True,
                options=options,
            )
        )
        for name, driver in ((HOST, "host"), (NONE, "null")):
            if self.registry.by_name(name) is None:
                self.registry.put(NetworkRecord(_new_id(), name, driver, rfc3339.now(), predefined=True))

    # -- networks ------------------------------------------------------------------------------------

    def create_network(self, body: Mapping[str, Any]) -> NetworkRecord:
        """POST /networks/create: the network made."""
        options = parse_create_body(body)
        with self._lock:
            if self.registry.by_name(options.name) is not None:
                raise Conflict(f"network with name {options.name} already exists")
            subnet = options.subnet
            if subnet is not None and any(subnet.overlaps(s) for s in self.registry.subnets()):
                raise Forbidden(OVERLAP)
            if subnet is None:
                taken = [*self.registry.subnets(), *host_routes()]
                subnet = pick_subnet(self.config.pool_network, self.config.pool_prefixlen, taken)
            network_id = _new_id()
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
            )
            created = ensure_bridge(bridge, self._bridge_address(record), record.mtu)
            record = replace(record, bridge_created=created)
            try:
                self.registry.put(record)
                self.sandboxes.sync()
            except BaseException:
                self.registry.remove(network_id)
                if created:
                    delete_link(bridge)
                self.sandboxes.sync_after_failure()
                raise
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
            self.registry.remove(network.id)
            self.sandboxes.sync()
            if network.bridge_created:
                delete_link(network.bridge_name)
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
                if matches_prune(network, wanted, now):
                    self.remove_network(network.id)
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
