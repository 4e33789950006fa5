"""One container's attachment to one bridge network: checked from Docker's EndpointSettings, then brought up
(address, veth pair, MAC) and down again."""

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from runtime.errors import HostError, InvalidParameter, NotImplementedYet
from runtime.network.ipam import parse_requested_address
from runtime.network.links import LinkNameTaken, add_veth, delete_link
from runtime.network.overlay_links import add_overlay_link
from runtime.network.records import ContainerRecord, EndpointRecord, NetworkRecord
from runtime.network.registry import NetworkRegistry
from runtime.network.sublinks import add_sublink

_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
LINK_LOCAL_PREFIXLEN = 16  # 169.254.0.0/16, as Docker adds a LinkLocalIPs address


def endpoint_from_config(network: NetworkRecord, config: Mapping[str, Any] | None) -> EndpointRecord:
    """Check EndpointSettings (Aliases, IPAMConfig, MacAddress) against the network, with Docker's texts."""
    config = config or {}
    aliases = tuple(str(a) for a in config.get("Aliases") or ())
    if aliases and not network.has_dns:
        raise InvalidParameter("network-scoped alias is supported only for containers in user defined networks")
    ipam = config.get("IPAMConfig") or {}
    if ipam.get("IPv6Address"):
        raise NotImplementedYet("network: IPAMConfig.IPv6Address: IPv6 is not supported")
    requested = ipam.get("IPv4Address") or None
    if requested:
        address = parse_requested_address(requested)
        if not network.user_subnet:
            raise InvalidParameter(
                "user specified IP address is supported only when connecting to networks with user configured subnets"
            )
        if address not in network.network:
            raise InvalidParameter(f"no configured subnet or ip-range contain the IP address {address}")
    mac = (config.get("MacAddress") or "").lower() or None
    if mac is not None and (not _MAC.match(mac) or int(mac[:2], 16) & 1):
        raise InvalidParameter(f"network: MacAddress {mac!r}: not a unicast MAC address (xx:xx:xx:xx:xx:xx)")
    return EndpointRecord(
        network.id,
        aliases,
        requested,
        mac,
        links=_strings(config.get("Links"), "Links"),
        driver_opts=tuple(sorted(_string_map(config.get("DriverOpts"), "DriverOpts").items())),
        link_local_ips=tuple(
            _link_local_ip(ip) for ip in _strings(ipam.get("LinkLocalIPs"), "IPAMConfig.LinkLocalIPs")
        ),
    )


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidParameter(f"network: {field}: expected a list of strings")
    return tuple(value)


def _string_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidParameter(f"network: {field}: expected an object of strings")
    return value


def _link_local_ip(text: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidParameter(f"invalid link-local IP address: {text}") from None
    if address.version == 6:
        raise NotImplementedYet("network: IPAMConfig.LinkLocalIPs: IPv6 is not supported")
    return str(address)


def mac_for(address: ipaddress.IPv4Address) -> str:
    """02:42 + the address, as Docker did for years: unique on the network, stable across restarts."""
    return "02:42:" + ":".join(f"{octet:02x}" for octet in address.packed)


def _plug_veth(
    bridge: str,
    netns: Path,
    ifname: str,
    mac: str,
    addresses: list[ipaddress.IPv4Interface],
    mtu: int,
    bridge_netns: Path | None,
) -> str:
    """A veth pair on the bridge (in bridge_netns, the host's if None) under a random host-side name (28 random
    bits: a taken one is tried again); -> that name."""
    for _ in range(16):
        name = "veth" + secrets.token_hex(4)[:7]  # 11 characters: inside IFNAMSIZ
        try:
            add_veth(bridge, name, netns, ifname, mac, addresses, mtu, bridge_netns)
        except LinkNameTaken:
            continue
        return name
    raise HostError("network: veth name: 16 random names in a row were taken")


def next_ifname(record: ContainerRecord, taken: tuple[str, ...] = ()) -> str:
    """The container's next interface name: the lowest ethN none of its endpoints (nor `taken`) has."""
    used = {e.ifname for e in record.endpoints if e.ifname} | set(taken)
    return next(f"eth{n}" for n in range(len(used) + 1) if f"eth{n}" not in used)


def activate(
    registry: NetworkRegistry,
    record: ContainerRecord,
    endpoint: EndpointRecord,
    netns: Path,
    bridge_netns: Path | None = None,
) -> EndpointRecord:
    """Allocate the address and plug a veth pair into the namespace (or, on macvlan and ipvlan, a link of the
    parent; on an overlay, a macvlan of its VXLAN device); on failure nothing is left. An endpoint that arrives
    with an address has it claimed already (in the cluster store), and one with an interface name gets that name.
    bridge_netns: an overlay's namespace, where its device is (None: the host's, where bridges are)."""
    network = registry.get(endpoint.network_id)
    if endpoint.ip is not None:  # claimed already, in the cluster store: the caller gives it back on failure
        address, pool = ipaddress.IPv4Address(endpoint.ip), None
    else:
        pool = registry.pool(network)
        requested = ipaddress.IPv4Address(endpoint.requested_ip) if endpoint.requested_ip else None
        address = pool.allocate(record.container_id, requested)
    try:
        ifname = endpoint.ifname or next_ifname(record)  # preset: a name kept for it while another was made
        mac = endpoint.requested_mac or mac_for(address)
        interface = ipaddress.IPv4Interface(f"{address}/{network.network.prefixlen}")
        link_local = [ipaddress.IPv4Interface(f"{ip}/{LINK_LOCAL_PREFIXLEN}") for ip in endpoint.link_local_ips]
        addresses = [interface, *link_local]
        if network.is_sublink:
            host_ifname = None
            add_sublink(network, netns, ifname, mac, interface)
            mac = mac if network.driver == "macvlan" else ""  # an ipvlan link has its parent's MAC
        elif network.is_overlay and add_overlay_link(network, bridge_netns, netns, ifname, mac, addresses):
            host_ifname = None
        else:
            host_ifname = _plug_veth(network.bridge_name, netns, ifname, mac, addresses, network.mtu, bridge_netns)
    except BaseException:
        if pool is not None:
            pool.release(address)
        raise
    return replace(
        endpoint,
        endpoint_id=endpoint.endpoint_id or os.urandom(32).hex(),
        ip=str(address),
        mac=mac,
        host_ifname=host_ifname,
        ifname=ifname,
    )


def deactivate(
    registry: NetworkRegistry,
    endpoint: EndpointRecord,
    unplug: bool = True,
    release: bool = True,
    bridge_netns: Path | None = None,
) -> EndpointRecord:
    """Give the address back (unless release is False: the cluster store's, given back by the caller) and, if
    unplug, delete the veth (its peer goes with it; its host end is in bridge_netns, the host's if None);
    unplug=False leaves the pair to die with its namespace. Tolerant of half-made endpoints."""
    if unplug and endpoint.host_ifname:
        delete_link(endpoint.host_ifname, bridge_netns)
    network = registry.get(endpoint.network_id)
    if network is not None and endpoint.ip and release:
        registry.pool(network).release(ipaddress.IPv4Address(endpoint.ip))
    return endpoint.cleared()
