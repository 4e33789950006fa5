"""The networks the daemon knows, found by full id, name or unique id prefix (Docker's order), each with its
address pool. Not thread-safe on its own: NetworkService holds one lock around every call."""

import ipaddress

from runtime.errors import InvalidParameter, NotFound
from runtime.network.ipam import AddressPool
from runtime.network.records import NetworkRecord
from runtime.network.store import NetworkStore


class NetworkRegistry:
    def __init__(self, store: NetworkStore) -> None:
        self.store = store
        self._networks: dict[str, NetworkRecord] = {}
        self._pools: dict[str, AddressPool] = {}

    def load(self) -> None:
        self._networks = {record.id: record for record in self.store.load_networks()}
        self._pools.clear()

    def all(self) -> list[NetworkRecord]:
        """Predefined networks first, then by creation time, as `docker network ls` users expect."""
        return sorted(self._networks.values(), key=lambda n: (not n.predefined, n.created, n.name))

    def bridges(self) -> list[NetworkRecord]:
        return [n for n in self.all() if n.is_bridge]

    def by_id(self) -> dict[str, NetworkRecord]:
        return dict(self._networks)

    def get(self, network_id: str) -> NetworkRecord | None:
        return self._networks.get(network_id)

    def by_name(self, name: str) -> NetworkRecord | None:
        return next((n for n in self._networks.values() if n.name == name), None)

    def resolve(self, ref: str) -> NetworkRecord:
        """By full id, then exact name, then unique id prefix; NotFound with Docker's text."""
        if ref in self._networks:
            return self._networks[ref]
        named = self.by_name(ref)
        if named is not None:
            return named
        matches = [n for n in self._networks.values() if ref and n.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidParameter(f"network {ref} is ambiguous ({len(matches)} matches found based on ID prefix)")
        raise NotFound(f"network {ref} not found")

    def put(self, record: NetworkRecord) -> None:
        if self._networks.get(record.id) == record:
            return  # unchanged (the predefined networks at every start): a daemon starts on a full disk
        self.store.save_network(record)
        self._networks[record.id] = record
        self._pools.pop(record.id, None)

    def remove(self, network_id: str) -> None:
        self.store.delete_network(network_id)
        self._networks.pop(network_id, None)
        self._pools.pop(network_id, None)

    def pool(self, network: NetworkRecord) -> AddressPool:
        """A local network's allocator (a global network's addresses are claimed in the cluster store)."""
        pool = self._pools.get(network.id)
        if pool is None:
            pool = AddressPool(
                self.store.ipam_path(network.id),
                f"{network.name} ({network.id[:12]})",
                network.network,
                network.gateway_address,
                ipaddress.IPv4Network(network.ip_range) if network.ip_range else None,
                reserved=[ipaddress.IPv4Address(a) for a in network.aux_addresses.values()],
            )
            self._pools[network.id] = pool
        return pool

    def save_pools(self) -> None:
        """Write the pools whose last write failed (a full disk); OSError if one fails again."""
        for pool in self._pools.values():
            pool.save()

    def subnets(self) -> list[ipaddress.IPv4Network]:
        return [n.network for n in self._networks.values() if n.subnet]
