"""The persisted state of the network room: networks and each container's attachments.

Records are frozen; a change is `dataclasses.replace` and a save. Fields marked "live" are set while the
container runs (between create_sandbox and destroy_sandbox) and cleared after.
"""

import ipaddress
from dataclasses import asdict, dataclass, field, replace
from typing import Any

DEFAULT_BRIDGE = "bridge"
HOST = "host"
NONE = "none"

# Network modes a container record can have; user-defined networks are "bridge" mode too.
MODE_BRIDGE = "bridge"
MODE_NONE = "none"
MODE_HOST = "host"
MODE_CONTAINER = "container"


@dataclass(frozen=True, slots=True)
class NetworkRecord:
    id: str
    name: str
    driver: str  # "bridge", "overlay", "host" or "null"
    created: str  # RFC3339Nano
    subnet: str | None = None
    gateway: str | None = None
    # False for --subnet without --gateway: Docker's IPAM config then holds no gateway (the bridge still gets
    # the subnet's first address); an allocated subnet's config holds both. Records older than the flag: True.
    gateway_given: bool = True
    ip_range: str | None = None
    user_subnet: bool = False  # created with --subnet: static addresses allowed (as Docker)
    internal: bool = False
    attachable: bool = False
    bridge_name: str | None = None
    bridge_created: bool = False  # we made the link, so we delete it with the network
    mtu: int = 1500
    icc: bool = True
    masquerade: bool = True
    predefined: bool = False
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    scope: str = "local"  # "global": kept in the cluster store, the same network on every host
    vni: int | None = None  # overlay: the VXLAN id, unique in the cluster
    aux_addresses: dict[str, str] = field(default_factory=dict)  # --aux-address: never handed out
    parent: str | None = None  # macvlan, ipvlan: the host link the endpoints hang off
    parent_created: bool = False  # an 802.1Q sub-interface made for the network, removed with it
    mode: str | None = None  # macvlan_mode or ipvlan_mode

    @property
    def is_bridge(self) -> bool:
        return self.driver == "bridge"

    @property
    def is_overlay(self) -> bool:
        return self.driver == "overlay"

    @property
    def is_sublink(self) -> bool:
        """macvlan or ipvlan: endpoints are links of the parent, moved into the container."""
        return self.driver in ("macvlan", "ipvlan")

    @property
    def takes_endpoints(self) -> bool:
        """A network a container gets an interface and an address on (not host or none)."""
        return self.is_bridge or self.is_overlay or self.is_sublink

    @property
    def is_default_bridge(self) -> bool:
        return self.predefined and self.name == DEFAULT_BRIDGE

    @property
    def has_dns(self) -> bool:
        """Docker runs its embedded DNS on user-defined networks only, never on the default bridge."""
        return self.takes_endpoints and not self.predefined

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.subnet)

    @property
    def gateway_address(self) -> ipaddress.IPv4Address:
        return ipaddress.IPv4Address(self.gateway)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "NetworkRecord":
        return cls(**data)


@dataclass(frozen=True, slots=True)
class PortRequest:
    """One HostConfig.PortBindings entry (or a -P port): host port 0..0 means "any free port"."""

    proto: str
    container_port: int
    host_ip: str = "0.0.0.0"
    host_port_low: int = 0
    host_port_high: int = 0

    @property
    def key(self) -> str:
        return f"{self.container_port}/{self.proto}"


@dataclass(frozen=True, slots=True)
class PortMapping:
    """A published port as allocated: host_ip:host_port -> the container's port."""

    proto: str
    container_port: int
    host_ip: str
    host_port: int

    @property
    def key(self) -> str:
        return f"{self.container_port}/{self.proto}"


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    network_id: str
    aliases: tuple[str, ...] = ()
    requested_ip: str | None = None  # EndpointConfig.IPAMConfig.IPv4Address
    requested_mac: str | None = None
    # live
    endpoint_id: str | None = None
    ip: str | None = None
    mac: str | None = None
    host_ifname: str | None = None
    ifname: str | None = None
    # asked for, after the live fields so that the positional order of older code stays
    links: tuple[str, ...] = ()  # EndpointSettings.Links, "container:alias" each
    driver_opts: tuple[tuple[str, str], ...] = ()  # EndpointSettings.DriverOpts, shown as given
    link_local_ips: tuple[str, ...] = ()  # EndpointSettings.IPAMConfig.LinkLocalIPs, added to the interface
    gateway_only: bool = False  # on the gateway bridge for an overlay's way out: not shown, not in DNS

    def cleared(self) -> "EndpointRecord":
        return replace(self, endpoint_id=None, ip=None, mac=None, host_ifname=None, ifname=None)


@dataclass(frozen=True, slots=True)
class ContainerRecord:
    container_id: str
    name: str
    hostname: str
    container_dir: str
    mode: str  # MODE_BRIDGE, MODE_NONE, MODE_HOST or MODE_CONTAINER
    joined_to: str | None = None  # MODE_CONTAINER: the container whose netns this one shares
    domainname: str = ""
    endpoints: tuple[EndpointRecord, ...] = ()
    port_requests: tuple[PortRequest, ...] = ()
    exposed_ports: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    # live
    running: bool = False
    sandbox_id: str | None = None
    netns_path: str | None = None
    ports: tuple[PortMapping, ...] = ()

    def endpoint(self, network_id: str) -> EndpointRecord | None:
        return next((e for e in self.endpoints if e.network_id == network_id), None)

    def with_endpoint(self, endpoint: EndpointRecord) -> "ContainerRecord":
        """Replace the endpoint on the same network, or append it (attach order is kept)."""
        if self.endpoint(endpoint.network_id) is None:
            return replace(self, endpoints=(*self.endpoints, endpoint))
        endpoints = tuple(endpoint if e.network_id == endpoint.network_id else e for e in self.endpoints)
        return replace(self, endpoints=endpoints)

    def without_endpoint(self, network_id: str) -> "ContainerRecord":
        return replace(self, endpoints=tuple(e for e in self.endpoints if e.network_id != network_id))

    def stopped(self) -> "ContainerRecord":
        return replace(
            self,
            running=False,
            sandbox_id=None,
            netns_path=None,
            ports=(),
            endpoints=tuple(e.cleared() for e in self.endpoints if not e.gateway_only),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ContainerRecord":
        data = dict(data)
        data["endpoints"] = tuple(_endpoint_from_json(e) for e in data["endpoints"])
        data["port_requests"] = tuple(PortRequest(**p) for p in data["port_requests"])
        data["ports"] = tuple(PortMapping(**p) for p in data["ports"])
        for key in ("exposed_ports", "dns", "dns_search", "dns_options", "extra_hosts"):
            data[key] = tuple(data[key])
        return cls(**data)


def _endpoint_from_json(data: dict[str, Any]) -> EndpointRecord:
    """JSON's lists back into the record's tuples (records written before a field existed lack it)."""
    fields = {**data, "aliases": tuple(data["aliases"])}
    for key in ("links", "link_local_ips"):
        fields[key] = tuple(data.get(key, ()))
    fields["driver_opts"] = tuple(tuple(pair) for pair in data.get("driver_opts", ()))
    return EndpointRecord(**fields)
