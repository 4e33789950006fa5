"""Host ports for published container ports.

A host port has at most one holder per protocol (0.0.0.0 overlaps every address). Each allocation also
binds a socket to the host port and keeps it, unlistened, so that no host process can take the port while a
container publishes it, and a port some host process already holds is refused (or skipped when choosing a
free one). The socket never sees traffic: the nat table rewrites packets to the port before socket lookup.
"""

import errno
import random
import socket
from pathlib import Path

from runtime.errors import Conflict, InvalidParameter
from runtime.network.records import PortMapping, PortRequest

_LOCAL_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_FALLBACK_RANGE = (49153, 65535)  # Docker's when the kernel's range is unreadable


def ephemeral_range(path: Path = _LOCAL_PORT_RANGE) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in path.read_text().split())
    except (OSError, ValueError):
        return _FALLBACK_RANGE
    return low, high


def port_taken_message(host_ip: str, host_port: int) -> str:
    return f"Bind for {host_ip}:{host_port} failed: port is already allocated"


class HostPortAllocator:
    def __init__(self, port_range: tuple[int, int] | None = None) -> None:
        self.port_range = port_range or ephemeral_range()
        self._held: dict[PortMapping, tuple[str, socket.socket | None]] = {}  # mapping -> (owner, socket)

    def _overlaps(self, proto: str, host_ip: str, host_port: int) -> bool:
        return any(
            m.proto == proto
            and m.host_port == host_port
            and (m.host_ip == host_ip or "0.0.0.0" in (m.host_ip, host_ip))
            for m in self._held
        )

    @staticmethod
    def _bind(proto: str, host_ip: str, host_port: int) -> socket.socket:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind((host_ip, host_port))
        except OSError:
            sock.close()
            raise
        return sock

    def allocate(self, owner: str, request: PortRequest) -> PortMapping:
        """Take the requested host port (or a free one); Conflict with Docker's text if it is taken."""
        if request.host_port_low:
            candidates = list(range(request.host_port_low, request.host_port_high + 1))
        else:
            low, high = self.port_range
            start = random.randint(low, high)  # spread concurrent daemons over the range
            candidates = [*range(start, high + 1), *range(low, start)]
        for port in candidates:
            if self._overlaps(request.proto, request.host_ip, port):
                continue
            try:
                sock = self._bind(request.proto, request.host_ip, port)
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL:
                    raise InvalidParameter(
                        f"network: HostIp {request.host_ip} of port {request.key}: not an address of this host"
                    ) from exc
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            mapping = PortMapping(request.proto, request.container_port, request.host_ip, port)
            self._held[mapping] = (owner, sock)
            return mapping
        if request.host_port_low == request.host_port_high and request.host_port_low:
            raise Conflict(port_taken_message(request.host_ip, request.host_port_low))
        wanted = f"{request.host_port_low}-{request.host_port_high}" if request.host_port_low else "any"
        raise Conflict(f"Bind for {request.host_ip}:{wanted} failed: port is already allocated")

    def adopt(self, owner: str, mapping: PortMapping) -> bool:
        """Hold a mapping recorded before a daemon restart; False if a host process took the port meanwhile
        (the mapping stays held: the nat rule keeps serving it)."""
        try:
            sock = self._bind(mapping.proto, mapping.host_ip, mapping.host_port)
        except OSError:
            self._held[mapping] = (owner, None)
            return False
        self._held[mapping] = (owner, sock)
        return True

    def release_owner(self, owner: str) -> None:
        for mapping, (holder, sock) in list(self._held.items()):
            if holder == owner:
                del self._held[mapping]
                if sock is not None:
                    sock.close()

    def close(self) -> None:
        for _, sock in self._held.values():
            if sock is not None:
                sock.close()
        self._held.clear()
