"""Docker's JSON shapes of the network room: network objects, EndpointSettings, NetworkSettings and the Ports of
`docker ps` (docker-api.md sections 2.3, 2.10, 2.15), rendered from the room's records and views."""

from collections.abc import Mapping
from typing import Any

from runtime.network.records import ContainerRecord, EndpointRecord, NetworkRecord
from runtime.network.views import ContainerNetworking, NetworkMember, NetworkView, dns_names


def network_object(view: NetworkView) -> dict[str, Any]:
    """GET /networks/{id}, and each item of GET /networks (listed without members)."""
    network = view.network
    ipam_config = []
    if network.subnet:
        entry = {"Subnet": network.subnet}
        if network.gateway_given:
            entry["Gateway"] = network.gateway
        if network.ip_range:
            entry["IPRange"] = network.ip_range
        if network.aux_addresses:
            entry["AuxiliaryAddresses"] = dict(network.aux_addresses)
        ipam_config.append(entry)
    return {
        "Name": network.name,
        "Id": network.id,
        "Created": network.created,
        "Scope": network.scope,
        "Driver": network.driver,
        "EnableIPv4": True,
        "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None if network.predefined else {}, "Config": ipam_config},
        "Internal": network.internal,
        "Attachable": network.attachable,
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": {m.record.container_id: _member(m, network) for m in view.members},
        "Options": dict(network.options),
        "Labels": dict(network.labels),
    }


def _member(member: NetworkMember, network: NetworkRecord) -> dict[str, str | None]:
    """One entry of a network's Containers."""
    record, endpoint = member.record, member.endpoint
    if endpoint is None:  # host or none: no address of its own
        return {
            "Name": record.name,
            "EndpointID": record.sandbox_id,
            "MacAddress": "",
            "IPv4Address": "",
            "IPv6Address": "",
        }
    return {
        "Name": record.name,
        "EndpointID": endpoint.endpoint_id,
        "MacAddress": endpoint.mac,
        "IPv4Address": f"{endpoint.ip}/{network.network.prefixlen}",
        "IPv6Address": "",
    }


def _ipam_config(endpoint: EndpointRecord) -> dict | None:
    config: dict[str, Any] = {}
    if endpoint.requested_ip:
        config["IPv4Address"] = endpoint.requested_ip
    if endpoint.link_local_ips:
        config["LinkLocalIPs"] = list(endpoint.link_local_ips)
    return config or None


def _endpoint_settings(record: ContainerRecord, network: NetworkRecord, endpoint: EndpointRecord) -> dict:
    live = endpoint.ip is not None
    return {
        "IPAMConfig": _ipam_config(endpoint),
        "Links": list(endpoint.links) or None,
        "Aliases": list(endpoint.aliases) or None,
        "MacAddress": endpoint.mac or endpoint.requested_mac or "",
        "DriverOpts": dict(endpoint.driver_opts) or None,
        "GwPriority": 0,
        "NetworkID": network.id,
        "EndpointID": endpoint.endpoint_id or "",
        "Gateway": network.gateway if live and network.gateway else "",
        "IPAddress": endpoint.ip or "",
        "IPPrefixLen": network.network.prefixlen if live else 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": dns_names(record, network, endpoint) if live else None,
    }


def _ports_map(record: ContainerRecord | None) -> dict[str, list[dict[str, str]] | None]:
    """NetworkSettings.Ports: every exposed port, null if not published (only while running)."""
    if record is None or not record.running:
        return {}
    ports: dict[str, list[dict[str, str]] | None] = {key: None for key in record.exposed_ports}
    for mapping in record.ports:
        ports.setdefault(mapping.key, None)
        ports[mapping.key] = [
            *(ports[mapping.key] or []),
            {"HostIp": mapping.host_ip, "HostPort": str(mapping.host_port)},
        ]
    return ports


def ps_ports(networking: ContainerNetworking) -> list[dict[str, Any]]:
    """`docker ps` Ports: published ports with their host side, exposed-only ports without."""
    record = networking.record
    if record is None:
        return []
    items: list[dict[str, Any]] = []
    published = set()
    for mapping in record.ports if record.running else ():
        published.add(mapping.key)
        items.append(
            {
                "IP": mapping.host_ip,
                "PrivatePort": mapping.container_port,
                "PublicPort": mapping.host_port,
                "Type": mapping.proto,
            }
        )
    for key in record.exposed_ports:
        if key not in published:
            port, proto = key.split("/")
            items.append({"PrivatePort": int(port), "Type": proto})
    return items


def empty_network_settings() -> dict[str, Any]:
    """The NetworkSettings of a container the network room does not know."""
    return {
        "Bridge": "",
        "SandboxID": "",
        "SandboxKey": "",
        "HairpinMode": False,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": {},
        "SecondaryIPAddresses": None,
        "SecondaryIPv6Addresses": None,
        "EndpointID": "",
        "Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "MacAddress": "",
        "Networks": {},
    }


def network_settings(networking: ContainerNetworking) -> dict[str, Any]:
    """A container's NetworkSettings (inspect; `ps` shows its Networks)."""
    return _settings(networking.shown, networking.networks)


def _settings(record: ContainerRecord | None, networks: Mapping[str, NetworkRecord]) -> dict[str, Any]:
    settings = empty_network_settings()
    if record is None:
        return settings
    settings["SandboxID"] = record.sandbox_id or ""
    settings["SandboxKey"] = record.netns_path or ""
    settings["Ports"] = _ports_map(record)
    for endpoint in record.endpoints:
        network = networks.get(endpoint.network_id)
        if network is None or endpoint.gateway_only:
            continue  # removed while the container was stopped (starting it will say so), or the hidden way out
        entry = _endpoint_settings(record, network, endpoint)
        settings["Networks"][network.name] = entry
        if network.is_default_bridge:
            # Docker fills the deprecated top-level fields from the default bridge only.
            for key in ("EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress"):
                settings[key] = entry[key]
    if record.mode in ("host", "none"):
        network = next((n for n in networks.values() if n.predefined and n.name == record.mode), None)
        if network is not None:
            settings["Networks"][network.name] = {
                **_endpoint_settings(record, network, EndpointRecord(network.id)),
                "EndpointID": (record.sandbox_id or "") if record.running else "",
            }
    return settings
