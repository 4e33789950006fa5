"""HostConfig.PortBindings, Config.ExposedPorts and -P, parsed into PortRequests (pure, table-tested)."""

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

from runtime.errors import InvalidParameter, NotImplementedYet
from runtime.network.records import PortRequest

PROTOCOLS = ("tcp", "udp")


def parse_port_key(key: str) -> tuple[int, str]:
    """'80/tcp' | '80' | '53/udp' -> (80, 'tcp')."""
    text, _, proto = key.partition("/")
    proto = (proto or "tcp").lower()
    if proto == "sctp":
        raise NotImplementedYet(f"network: port {key!r}: sctp is not supported")
    if proto not in PROTOCOLS:
        raise InvalidParameter(f"network: port {key!r}: protocol must be tcp or udp")
    port = _parse_port(text, key)
    if port == 0:
        raise InvalidParameter(f"invalid port specification: {key!r}")
    return port, proto


def _parse_port(text: str, key: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise InvalidParameter(f"invalid port specification: {key!r}")
    return int(text)


def parse_host_port(text: str, key: str) -> tuple[int, int]:
    """'' | '0' -> (0, 0) any port; '8080' -> (8080, 8080); '8080-8090' -> a free one of the range."""
    if text in ("", "0"):
        return 0, 0
    low_text, dash, high_text = text.partition("-")
    low = _parse_port(low_text, f"{text} (host port of {key})")
    high = _parse_port(high_text, f"{text} (host port of {key})") if dash else low
    if low == 0 or high < low:
        raise InvalidParameter(f"invalid port specification: {text!r} (host port of {key})")
    return low, high


def parse_host_ip(text: str, key: str) -> str:
    if text == "":
        return "0.0.0.0"
    try:
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise InvalidParameter(f"network: HostIp {text!r} of port {key}: not an IP address") from exc
    if address.version == 6:
        raise NotImplementedYet(f"network: HostIp {text} of port {key}: IPv6 publishing is not supported")
    return str(address)


def normalize_exposed(keys: Iterable[str]) -> tuple[str, ...]:
    """Exposed port keys as '<port>/<proto>', deduplicated, in a stable order."""
    ports = {parse_port_key(key) for key in keys}
    return tuple(f"{port}/{proto}" for port, proto in sorted(ports, key=lambda p: (p[1], p[0])))


def parse_port_requests(
    port_bindings: Mapping[str, Sequence[Mapping[str, str]] | None] | None,
    exposed_ports: Iterable[str],
    publish_all: bool,
) -> tuple[tuple[PortRequest, ...], tuple[str, ...]]:
    """-> (what to publish, every exposed-or-bound port key for NetworkSettings.Ports)."""
    requests: list[PortRequest] = []
    bound_keys: set[str] = set()
    for key, bindings in (port_bindings or {}).items():
        port, proto = parse_port_key(key)
        bound_keys.add(f"{port}/{proto}")
        for binding in bindings or ():
            low, high = parse_host_port(str(binding.get("HostPort") or ""), key)
            host_ip = parse_host_ip(binding.get("HostIp") or "", key)
            request = PortRequest(proto, port, host_ip, low, high)
            if request not in requests:
                requests.append(request)
    exposed = normalize_exposed([*exposed_ports, *bound_keys])
    if publish_all:
        published = {r.key for r in requests}
        for key in exposed:
            if key not in published:
                port, proto = parse_port_key(key)
                requests.append(PortRequest(proto, port))
    return tuple(requests), exposed
