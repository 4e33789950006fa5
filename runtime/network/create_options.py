"""POST /networks/create bodies, checked once into NetworkCreateOptions (Docker's texts where clients see them)."""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.errors import Forbidden, InvalidParameter, NotFound, NotImplementedYet
from runtime.network.config import validate_ifname

OPT_BRIDGE_NAME = "com.docker.network.bridge.name"
OPT_MTU = "com.docker.network.driver.mtu"
OPT_ICC = "com.docker.network.bridge.enable_icc"
OPT_MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade"

# Names Docker keeps for its own networks and modes, never a user's network ("default" is a network mode).
PREDEFINED_NAMES = ("bridge", "host", "none", "default")
SCOPES = {"bridge": "local", "overlay": "global", "macvlan": "local", "ipvlan": "local"}  # drivers and scopes
OPT_PARENT = "parent"
OPT_ENCRYPTED = "encrypted"  # Docker's overlay: IPsec (ESP) between hosts
MODE_OPTIONS = {  # driver -> its mode option, the modes served, the default
    "macvlan": ("macvlan_mode", ("bridge", "private", "vepa", "passthru"), "bridge"),
    "ipvlan": ("ipvlan_mode", ("l2", "l3"), "l2"),
}
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}  # Go's strconv.ParseBool, which Docker uses for options
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True, slots=True)
class NetworkCreateOptions:
    name: str
    driver: str
    subnet: ipaddress.IPv4Network | None
    gateway: ipaddress.IPv4Address | None
    ip_range: ipaddress.IPv4Network | None
    internal: bool
    attachable: bool
    bridge_name: str | None
    mtu: int | None
    icc: bool
    masquerade: bool
    options: dict[str, str]
    labels: dict[str, str]
    aux_addresses: dict[str, str] = field(default_factory=dict)  # name -> address kept out of allocation
    parent: str | None = None  # macvlan and ipvlan: the host link their endpoints hang off
    mode: str | None = None  # macvlan_mode or ipvlan_mode


def parse_go_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value) in _TRUE:
        return True
    if str(value) in _FALSE:
        return False
    raise InvalidParameter(f"network: option {what} {value!r}: not a boolean")


def _string_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidParameter(f"network: field {what}: must map strings to strings")
    return {str(k): v for k, v in value.items()}


def _check_unsupported(body: Mapping[str, Any]) -> None:
    driver = body.get("Driver") or "bridge"
    if driver in ("host", "null"):
        raise Forbidden(f'only one instance of "{"host" if driver == "host" else "none"}" network is allowed')
    if driver not in SCOPES:  # Docker's built-in drivers are all served; any other would be a plugin's
        raise NotFound(f'plugin "{driver}" not found')
    if (body.get("Scope") or SCOPES[driver]) != SCOPES[driver]:
        raise InvalidParameter(
            f"network: field Scope {body.get('Scope')!r}: networks of the {driver} driver have {SCOPES[driver]} scope"
        )
    if body.get("EnableIPv6"):
        raise NotImplementedYet("network: field EnableIPv6: IPv6 networks are not supported")
    if body.get("EnableIPv4") is False:
        raise NotImplementedYet("network: field EnableIPv4: IPv4 cannot be disabled")
    for name in ("Ingress", "ConfigOnly"):
        if body.get(name):
            raise NotImplementedYet(f"network: field {name}: swarm and config-only networks are not supported")
    if (body.get("ConfigFrom") or {}).get("Network"):
        raise NotImplementedYet("network: field ConfigFrom: config-only networks are not supported")


def _parse_aux(config: Mapping[str, Any], subnet: ipaddress.IPv4Network | None, gateway) -> dict[str, str]:
    """IPAM.Config.AuxiliaryAddresses (`--aux-address name=ip`): addresses in the subnet no container gets."""
    given = _string_map(config.get("AuxiliaryAddresses"), "IPAM.Config.AuxiliaryAddresses")
    if given and subnet is None:
        raise InvalidParameter("network: field IPAM.Config.AuxiliaryAddresses: needs a subnet")
    for name, text in given.items():
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError as exc:
            raise InvalidParameter(f"invalid network config:\ninvalid auxiliary address {name}={text}: {exc}") from exc
        if address not in subnet:
            raise InvalidParameter(
                f"invalid network config:\ninvalid auxiliary address {name}={text}: "
                f"parent subnet {subnet} doesn't contain this address"
            )
        if address == gateway:
            raise InvalidParameter(f"invalid network config:\ninvalid auxiliary address {name}={text}: is the gateway")
    return given


def _parse_ipam(ipam: Mapping[str, Any] | None) -> tuple:
    ipam = ipam or {}
    if (ipam.get("Driver") or "default") != "default":
        raise NotImplementedYet(f"network: IPAM driver {ipam.get('Driver')!r}: only the default driver is supported")
    configs = ipam.get("Config") or []
    if len(configs) > 1:
        raise NotImplementedYet("network: field IPAM.Config: only one IPv4 subnet per network is supported")
    if not configs:
        return None, None, None, {}
    config = configs[0]
    subnet = _parse_subnet(config.get("Subnet") or "")
    gateway_text, range_text = config.get("Gateway") or "", config.get("IPRange") or ""
    if subnet is None:
        if gateway_text or range_text:
            raise InvalidParameter("network: field IPAM.Config: a gateway or ip-range needs a subnet")
        return None, None, None, _parse_aux(config, None, None)
    gateway = _parse_gateway(gateway_text, subnet) if gateway_text else None
    ip_range = _parse_ip_range(range_text, subnet) if range_text else None
    return subnet, gateway, ip_range, _parse_aux(config, subnet, gateway or subnet.network_address + 1)


def _parse_link_options(driver: str, options: Mapping[str, str]) -> tuple[str | None, str | None]:
    """macvlan's and ipvlan's parent (eth0, or eth0.10 for an 802.1Q sub-interface made on demand) and mode."""
    if driver not in MODE_OPTIONS:
        return None, None
    key, modes, default = MODE_OPTIONS[driver]
    parent = options.get(OPT_PARENT)
    if not parent:
        raise InvalidParameter(f"network: driver {driver}: option parent: names no host interface (-o parent=eth0)")
    validate_ifname(parent, "option parent")
    base, dot, vlan = parent.rpartition(".")
    if dot and base and not (vlan.isdigit() and 1 <= int(vlan) <= 4094):
        raise InvalidParameter(f"network: option parent {parent!r}: an 802.1Q id must be 1 to 4094")
    mode = options.get(key, default)
    if mode not in modes:
        raise InvalidParameter(f"network: option {key} {mode!r}: must be one of {', '.join(modes)}")
    return parent, mode


def _parse_subnet(text: str) -> ipaddress.IPv4Network | None:
    if not text:
        return None
    try:
        subnet = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise InvalidParameter(f"invalid network config:\ninvalid subnet {text}: {exc}") from exc
    if not isinstance(subnet, ipaddress.IPv4Network):
        raise NotImplementedYet(f"network: subnet {text}: IPv6 networks are not supported")
    if str(subnet) != text:
        raise InvalidParameter(f"invalid network config:\ninvalid subnet {text}: it should be {subnet}")
    if subnet.prefixlen > 30:
        raise InvalidParameter(f"invalid network config:\ninvalid subnet {text}: must be /30 or larger")
    return subnet


def _parse_gateway(text: str, subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    try:
        gateway = ipaddress.IPv4Address(text)
    except ValueError as exc:
        raise InvalidParameter(f"invalid network config:\ninvalid gateway {text}: {exc}") from exc
    if gateway not in subnet:
        raise InvalidParameter(
            f"invalid network config:\ninvalid gateway {text}: parent subnet {subnet} doesn't contain this address"
        )
    if gateway in (subnet.network_address, subnet.broadcast_address):
        raise InvalidParameter(f"invalid network config:\ninvalid gateway {text}: is not a host address")
    return gateway


def _parse_ip_range(text: str, subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    try:
        ip_range = ipaddress.IPv4Network(text)
    except ValueError as exc:
        raise InvalidParameter(f"invalid network config:\ninvalid ip-range {text}: {exc}") from exc
    if not ip_range.subnet_of(subnet):
        raise InvalidParameter(
            f"invalid network config:\ninvalid ip-range {text}: parent subnet {subnet} doesn't contain ip-range"
        )
    return ip_range


def _parse_mtu(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        mtu = int(text)
    except ValueError as exc:
        raise InvalidParameter(f"network: option {OPT_MTU} {text!r}: not an integer") from exc
    if not 68 <= mtu <= 65535:
        raise InvalidParameter(f"network: option {OPT_MTU} {mtu}: must be between 68 and 65535")
    return mtu


def parse_create_body(body: Mapping[str, Any]) -> NetworkCreateOptions:
    """Check a create body; raises the typed error the API maps to 400/403/501."""
    name = body.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter("network: field Name: must not be empty")
    if any(c in name for c in "/\n"):  # Docker takes any other name, spaces too ("test 01")
        raise InvalidParameter(f"network: field Name {name!r}: must not contain '/' or a newline")
    if name in PREDEFINED_NAMES:  # moby's PredefinedNetworkError, its trailing space included
        raise Forbidden(f"operation is not permitted on predefined {name} network ")
    _check_unsupported(body)
    subnet, gateway, ip_range, aux = _parse_ipam(body.get("IPAM"))
    options = _string_map(body.get("Options"), "Options")
    driver = body.get("Driver") or "bridge"
    parent, mode = _parse_link_options(driver, options)
    if driver == "overlay" and OPT_ENCRYPTED in options:
        raise NotImplementedYet(f"network: overlay option {OPT_ENCRYPTED}: IPsec between the hosts is not supported")
    bridge_name = options.get(OPT_BRIDGE_NAME)
    if bridge_name is not None:
        validate_ifname(bridge_name, f"option {OPT_BRIDGE_NAME}")
    return NetworkCreateOptions(
        name=name,
        driver=driver,
        subnet=subnet,
        gateway=gateway,
        ip_range=ip_range,
        internal=bool(body.get("Internal")),
        attachable=bool(body.get("Attachable")),
        bridge_name=bridge_name,
        mtu=_parse_mtu(options.get(OPT_MTU)),
        icc=parse_go_bool(options.get(OPT_ICC, "true"), OPT_ICC),
        masquerade=parse_go_bool(options.get(OPT_MASQUERADE, "true"), OPT_MASQUERADE),
        options=options,
        labels=_string_map(body.get("Labels"), "Labels"),
        aux_addresses=aux,
        parent=parent,
        mode=mode,
    )
