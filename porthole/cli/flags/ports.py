"""`-p/--publish` specs as docker reads them (go-connections nat.ParsePortSpec):
`[ip:][hostPort:]containerPort[/proto]`, with ranges (`8000-8001:80-81`) and bracketed IPv6 addresses."""

import socket
from typing import NamedTuple

from runtime.errors import InvalidParameter

PROTOCOLS = ("tcp", "udp", "sctp")


# A NamedTuple rather than a frozen dataclass: this is on `porthole run`'s path, and `dataclasses` imports
# `inspect` (about 7 ms).
class PortMapping(NamedTuple):
    port: str  # "80/tcp", the key of ExposedPorts and PortBindings
    host_ip: str
    host_port: str  # "" lets the daemon choose; "8000-8010" is a range to choose from


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _port_range(text: str) -> tuple[int, int]:
    first, sep, last = text.partition("-")
    if not (first.isascii() and first.isdigit()) or (sep and not (last.isascii() and last.isdigit())):
        raise ValueError(text)
    start, end = int(first), int(last) if sep else int(first)
    if not (0 <= start <= 65535 and start <= end <= 65535):
        raise ValueError(text)
    return start, end


def _check_ip(ip: str, raw: str) -> str:
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, ip)
            return ip
        except OSError:
            continue
    raise InvalidParameter(f"invalid port spec {raw!r}: invalid IP address {ip!r}")


def parse_port_spec(raw: str) -> list[PortMapping]:
    """One `-p` value → one mapping per container port (a container range gives several)."""
    ip, host_port, container_port = _split_parts(raw)
    container_port, _, proto = container_port.partition("/")
    proto = proto.lower() or "tcp"
    if ip:
        ip = _check_ip(ip, raw)
    if not container_port:
        raise InvalidParameter(f"invalid port spec {raw!r}: no container port")
    try:
        start, end = _port_range(container_port)
    except ValueError:
        raise InvalidParameter(f"invalid port spec {raw!r}: invalid container port {container_port!r}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = _port_range(host_port)
        except ValueError:
            raise InvalidParameter(f"invalid port spec {raw!r}: invalid host port {host_port!r}") from None
        if end != start and end - start != host_end - host_start:
            raise InvalidParameter(
                f"invalid port spec {raw!r}: the container range {container_port} and "
                f"the host range {host_port} differ in length"
            )
    if proto not in PROTOCOLS:
        raise InvalidParameter(f"invalid port spec {raw!r}: unknown protocol {proto!r} (tcp, udp or sctp)")
    mappings = []
    for offset in range(end - start + 1):
        if not host_port:
            published = ""
        elif start == end and host_start != host_end:
            published = f"{host_start}-{host_end}"  # one container port: the daemon picks from the host range
        else:
            published = str(host_start + offset)
        mappings.append(PortMapping(f"{start + offset}/{proto}", ip, published))
    return mappings


def port_bindings(specs: list[str]) -> dict[str, list[dict[str, str]]]:
    """HostConfig.PortBindings for every `-p`: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}."""
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        for mapping in parse_port_spec(spec):
            bindings.setdefault(mapping.port, []).append({"HostIp": mapping.host_ip, "HostPort": mapping.host_port})
    return bindings


def port_key(text: str) -> str:
    """`80` → `80/tcp`, `53/udp` stays: the key `porthole port` and ExposedPorts use."""
    number, _, proto = text.partition("/")
    if not (number.isascii() and number.isdigit()) or int(number) > 65535:
        raise InvalidParameter(f"invalid port {text!r}: expected a number from 0 to 65535")
    proto = proto.lower() or "tcp"
    if proto not in PROTOCOLS:
        raise InvalidParameter(f"invalid port {text!r}: unknown protocol {proto!r} (tcp, udp or sctp)")
    return f"{int(number)}/{proto}"
