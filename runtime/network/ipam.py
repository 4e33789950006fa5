"""Address management: one persisted allocator per network, and the choice of subnets for new networks.

An address is handed out only while no one holds it. Dynamic allocation walks on from the last address
handed out (wrapping around), as Docker's allocator does, so a just-released address is not reused at once:
a stale ARP entry or DNS answer for it then points at nothing rather than at a stranger.
"""

import ipaddress
from collections.abc import Iterable, Mapping
from pathlib import Path

from runtime.atomicfile import read_json, write_json_atomic
from runtime.errors import Conflict, InvalidParameter

IPv4Address = ipaddress.IPv4Address
IPv4Network = ipaddress.IPv4Network


class AddressPool:
    """The addresses of one network: gateway reserved, allocations kept in a JSON file."""

    def __init__(
        self,
        path: Path,
        label: str,
        subnet: IPv4Network,
        gateway: IPv4Address,
        ip_range: IPv4Network | None = None,
        reserved: Iterable[IPv4Address] = (),
    ) -> None:
        self.path = path
        self.reserved = frozenset(reserved)  # auxiliary addresses: in use outside the network's containers
        self.label = label  # "<name> (<id>)" for messages
        self.subnet = subnet
        self.gateway = gateway
        self.ip_range = ip_range or subnet
        self._allocated: dict[IPv4Address, str] = {}
        self._last: IPv4Address | None = None
        self.unsaved = False  # memory changed but the file could not be written (a full disk): save() again
        if path.exists():
            self._load()

    def _load(self) -> None:
        data = read_json(self.path)
        if data.get("subnet") != str(self.subnet):
            return  # the network was recreated with another subnet: its old allocations mean nothing
        self._allocated = {IPv4Address(a): owner for a, owner in data["allocated"].items()}
        self._last = IPv4Address(data["last"]) if data.get("last") else None

    def _save(self) -> None:
        self.unsaved = True
        write_json_atomic(
            self.path,
            {
                "subnet": str(self.subnet),
                "allocated": {str(a): owner for a, owner in sorted(self._allocated.items())},
                "last": str(self._last) if self._last else None,
            },
        )
        self.unsaved = False

    def save(self) -> None:
        """Write what memory holds if an earlier write failed; OSError if it fails again."""
        if self.unsaved:
            self._save()

    @property
    def allocations(self) -> dict[IPv4Address, str]:
        return dict(self._allocated)

    def allocate(self, owner: str, requested: IPv4Address | None = None) -> IPv4Address:
        address = self._check_requested(requested) if requested else self._next_free()
        self._allocated[address] = owner
        if requested is None:
            self._last = address
        self._save()
        return address

    def release(self, address: IPv4Address) -> None:
        if self._allocated.pop(address, None) is not None or self.unsaved:
            self._save()

    def keep_only(self, wanted: Mapping[IPv4Address, str]) -> None:
        """Reconcile after a restart: drop every allocation whose holder is gone."""
        kept = {a: o for a, o in wanted.items() if a in self.subnet}
        if kept != self._allocated or self.unsaved:
            self._allocated = kept
            self._save()

    def _reserved(self, address: IPv4Address) -> bool:
        edges = (self.subnet.network_address, self.subnet.broadcast_address)
        return address == self.gateway or address in edges or address in self.reserved

    def _check_requested(self, address: IPv4Address) -> IPv4Address:
        if address not in self.subnet:
            raise InvalidParameter(f"no configured subnet or ip-range contain the IP address {address}")
        if address in (self.subnet.network_address, self.subnet.broadcast_address):
            raise InvalidParameter(f"network: address {address}: is the subnet's network or broadcast address")
        if address == self.gateway or address in self._allocated or address in self.reserved:
            raise Conflict("Address already in use")
        return address

    def _next_free(self) -> IPv4Address:
        first, last = int(self.ip_range.network_address), int(self.ip_range.broadcast_address)
        size = last - first + 1
        start = int(self._last) + 1 if self._last and self._last in self.ip_range else first
        for step in range(size):
            candidate = IPv4Address(first + (start - first + step) % size)
            if candidate not in self._allocated and not self._reserved(candidate):
                return candidate
        raise Conflict(f"no available IPv4 addresses on this network's address pools: {self.label}")


def parse_requested_address(value: str) -> IPv4Address:
    try:
        return IPv4Address(value)
    except ValueError as exc:
        raise InvalidParameter(f"network: IPAMConfig.IPv4Address {value!r}: not an IPv4 address") from exc


def pick_subnet(pool: IPv4Network, prefixlen: int, taken: Iterable[IPv4Network]) -> IPv4Network:
    """The first /prefixlen of the pool that overlaps nothing taken (our networks, the host's routes)."""
    taken = list(taken)
    for candidate in pool.subnets(new_prefix=prefixlen):
        if not any(candidate.overlaps(other) for other in taken):
            return candidate
    raise Conflict(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
    )
