"""ClusterStore: the cluster's networks, hosts and endpoints as this host last saw them (a cache the watch keeps
current), and the writes that must be unique across hosts (network names and VXLAN ids, addresses), each one
etcd transaction.

A watch thread reads everything once, then follows the changes; when the stream breaks (etcd restarted, the
history compacted) it reads everything again as soon as the store answers, so a host catches up with whatever
happened meanwhile. After each change it calls the listener (the network room reconciles the kernel and the
embedded DNS from the cache).
"""

import ipaddress
import json
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from common.throttle import LogThrottle
from runtime.errors import Conflict, HostError
from runtime.network.cluster import keys
from runtime.network.cluster.config import ClusterConfig
from runtime.network.cluster.etcd import Compacted, EtcdClient, Event, StoreUnavailable
from runtime.network.cluster.keys import AddressClaim, ClusterEndpoint, ClusterHost, LostClaim
from runtime.network.cluster.membership import Claims, Membership
from runtime.network.records import NetworkRecord

log = logging.getLogger(__name__)
FIRST_VNI = 4097  # as Docker's overlay driver: below are left to hand-made devices
MAX_VNI = 2**24 - 1
RETRY_INTERVAL = 0.5  # between attempts to reach a store that did not answer


class ClusterStore:
    def __init__(self, config: ClusterConfig, host: ClusterHost, state_dir: Path) -> None:
        self.config = config
        self.host = host
        self.etcd = EtcdClient(config)
        self.membership = Membership(self.etcd, host, config.ttl, state_dir / "cluster-lease.json")
        self.networks: dict[str, NetworkRecord] = {}
        self.hosts: dict[str, ClusterHost] = {}
        self.endpoints: dict[str, dict[str, ClusterEndpoint]] = {}  # network id -> endpoint id -> endpoint
        self.synced = threading.Event()  # set once the whole store has been read
        self._lock = threading.Lock()
        self._listener: Callable[[], None] = lambda: None
        self._stopping = threading.Event()
        self._throttle = LogThrottle(30.0)
        self._watcher = threading.Thread(target=self._follow, name="porthole-cluster-watch", daemon=True)
        self._withdrawals: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._withdrawer = threading.Thread(target=self._withdraw, name="porthole-cluster-withdraw", daemon=True)

    @property
    def url(self) -> str:
        return self.config.url

    def start(
        self, listener: Callable[[], None], claims: Callable[[], Claims], on_lost: Callable[[LostClaim], None]
    ) -> None:
        """Join the cluster and follow it; never raises for an unreachable store (both threads retry). on_lost
        hears of each address another host took while this one was cut off longer than its lease."""
        self._listener = listener
        self.membership.start(claims, on_lost)
        self._watcher.start()
        self._withdrawer.start()

    def close(self) -> None:
        """Stop following; the withdrawals queued so far are written first (each waits REQUEST_TIMEOUT at most)."""
        self._stopping.set()
        self.membership.close()
        self._withdrawals.put(None)
        if self._withdrawer.is_alive():
            self._withdrawer.join()

    # -- reads -------------------------------------------------------------------------------------------

    def remote_endpoints(self, network_id: str) -> list[ClusterEndpoint]:
        """The endpoints other hosts have on the network."""
        with self._lock:
            found = self.endpoints.get(network_id, {}).values()
            return [e for e in found if e.host_id != self.host.host_id]

    def all_hosts(self) -> list[ClusterHost]:
        with self._lock:
            return sorted(self.hosts.values(), key=lambda h: h.name)

    def endpoint_count(self, network_id: str) -> int:
        items, _ = self.etcd.range_prefix(keys.endpoints_prefix(network_id))
        return len(items)

    # -- networks ----------------------------------------------------------------------------------------

    def create_network(self, record: NetworkRecord) -> NetworkRecord:
        """Write the network with a VXLAN id of its own; Conflict if its name is taken anywhere."""
        for _ in range(64):
            vni = self._free_vni()
            placed = NetworkRecord.from_json({**record.to_json(), "vni": vni})
            puts = {
                keys.network_key(record.id): json.dumps(placed.to_json(), sort_keys=True),
                keys.name_key(record.name): record.id,
                keys.vni_key(vni): record.id,
            }
            if self.etcd.create(puts):
                self._put_network(placed)
                return placed
            if self.etcd.get(keys.name_key(record.name)) is not None:
                raise Conflict(f"network with name {record.name} already exists")
        raise HostError(f"network: cluster store {self.url}: VXLAN id for {record.name}: 64 attempts collided")

    def _free_vni(self) -> int:
        taken = {int(kv.key.rsplit("/", 1)[1]) for kv in self.etcd.range_prefix(keys.VNIS)[0]}
        return next(v for v in range(FIRST_VNI, MAX_VNI) if v not in taken)

    def remove_network(self, network: NetworkRecord) -> None:
        """Delete the network everywhere; Conflict while any host has an endpoint on it."""
        if self.endpoint_count(network.id):
            raise Conflict(f"error while removing network: network {network.name} id {network.id} has active endpoints")
        current = self.etcd.get(keys.network_key(network.id))
        if current is not None:
            also = (keys.name_key(network.name), *([keys.vni_key(network.vni)] if network.vni else []))
            self.etcd.delete_if(current.key, current.mod_revision, also=also)
        with self._lock:
            self.networks.pop(network.id, None)

    def _put_network(self, record: NetworkRecord) -> None:
        with self._lock:
            self.networks[record.id] = record

    # -- addresses and endpoints -------------------------------------------------------------------------

    def claim(
        self, network: NetworkRecord, owner: str, requested: str | None, endpoint_at: Callable[[str], ClusterEndpoint]
    ) -> ClusterEndpoint:
        """An address of the network no host holds, and the endpoint at it (endpoint_at(address)), written in one
        transaction under this host's lease. The first guess comes from the cache (no read); a guess another
        host took meanwhile fails the transaction, and the next ones come from a fresh read of the claims."""
        if not self.membership.lease:
            raise StoreUnavailable(f"network: cluster store {self.url}: unreachable (this host has not joined yet)")
        claim = AddressClaim(self.host.host_id, owner).to_json()
        reserved = {str(network.gateway_address), *network.aux_addresses.values()}
        with self._lock:
            claimed = {e.ip for e in self.endpoints.get(network.id, {}).values()}
        for _ in range(64):
            if requested is not None and (requested in claimed or requested in reserved):
                raise Conflict("Address already in use")
            candidate = requested or _first_free(network, claimed | reserved)
            endpoint = endpoint_at(candidate)
            puts = {
                keys.ipam_key(network.id, candidate): claim,
                keys.endpoint_key(network.id, endpoint.endpoint_id): endpoint.to_json(),
            }
            if self.etcd.create(puts, lease=self.membership.lease):
                with self._lock:
                    self.endpoints.setdefault(network.id, {})[endpoint.endpoint_id] = endpoint
                return endpoint
            claimed = {kv.key.rsplit("/", 1)[1] for kv in self.etcd.range_prefix(keys.ipam_prefix(network.id))[0]}
        raise HostError(f"network: cluster store {self.url}: address on {network.name}: 64 attempts collided")

    def unclaim(self, network_id: str, endpoint_id: str, address: str) -> None:
        """Withdraw the endpoint and give its address back, in one transaction written by the withdrawer
        thread: a container's stop never waits on the store (nor on its timeout when it is away; the next
        republish then does it). Until it is written, the address stays claimed: no one else can take it."""
        with self._lock:
            self.endpoints.get(network_id, {}).pop(endpoint_id, None)
        self._withdrawals.put((keys.endpoint_key(network_id, endpoint_id), keys.ipam_key(network_id, address)))

    def _withdraw(self) -> None:
        while (withdrawal := self._withdrawals.get()) is not None:
            endpoint, address = withdrawal
            self._forgiving(
                lambda e=endpoint, a=address, lease=self.membership.lease: self.etcd.delete_held(a, lease, also=(e,))
            )

    def _forgiving(self, work: Callable[[], None]) -> None:
        """A removal that may wait for the store: a stop or rm never fails because the store is away."""
        try:
            work()
        except StoreUnavailable as exc:
            log.warning("%s (left for the next republish)", exc.message)

    # -- following the store -----------------------------------------------------------------------------

    def _follow(self) -> None:
        revision = None
        while not self._stopping.is_set():
            try:
                if revision is None:
                    revision = self._read_all()
                for batch in self.etcd.watch(keys.ROOT, revision + 1):
                    if batch:
                        revision = max(e.revision for e in batch)
                        self._apply(batch)
            except Compacted:
                revision = None
            except StoreUnavailable as exc:
                revision = None
                if self._throttle.due("watch"):
                    log.warning("%s (following it again once it answers)", exc.message)
                self._stopping.wait(RETRY_INTERVAL)
            except Exception:  # noqa: BLE001 - the watch thread must outlive a bad key or a listener's failure
                log.exception("network: cluster store %s: following it failed; reading it again", self.url)
                revision = None
                self._stopping.wait(RETRY_INTERVAL)

    def _read_all(self) -> int:
        items, revision = self.etcd.range_prefix(keys.ROOT)
        with self._lock:
            self.networks, self.hosts, self.endpoints = {}, {}, {}
            for kv in items:
                self._take(kv.key, kv.value)
        self.synced.set()
        self._listener()
        return revision

    def _apply(self, batch: list[Event]) -> None:
        """The batch into the cache; the listener only if it changed what the network room programs (networks,
        hosts, other hosts' endpoints): this host's own claims come back through the watch too, and waking the room
        for them would have each container start and stop on an overlay wait behind it."""
        with self._lock:
            changed = [self._take(event.key, event.value) for event in batch]
        if any(changed):
            self._listener()

    def _take(self, key: str, value: str | None) -> bool:
        """One key into the cache (value None: deleted); whether the network room must follow. Called with the
        lock held."""
        if key.startswith(keys.ENDPOINTS):
            return self._take_endpoint(key, value)
        if key.startswith(keys.NETWORKS):
            network_id = key[len(keys.NETWORKS) :]
            if value is None:
                self.networks.pop(network_id, None)
            else:
                self.networks[network_id] = NetworkRecord.from_json(json.loads(value))
        elif key.startswith(keys.HOSTS):
            host_id = key[len(keys.HOSTS) :]
            if value is None:
                self.hosts.pop(host_id, None)
            else:
                self.hosts[host_id] = ClusterHost.from_json(value)
        return key.startswith((keys.NETWORKS, keys.HOSTS))  # addresses are not cached: the store decides them

    def _take_endpoint(self, key: str, value: str | None) -> bool:
        network_id, _, endpoint_id = key[len(keys.ENDPOINTS) :].partition("/")
        on = self.endpoints.setdefault(network_id, {})
        if value is None:
            endpoint = on.pop(endpoint_id, None)  # this host's own: already gone at unclaim()
        else:
            endpoint = on[endpoint_id] = ClusterEndpoint.from_json(value)
        return endpoint is not None and endpoint.host_id != self.host.host_id


def _first_free(network: NetworkRecord, taken: set[str]) -> str:
    """The lowest address of the network's range (its subnet without network and broadcast) not taken."""
    span = ipaddress.IPv4Network(network.ip_range) if network.ip_range else network.network
    edges = network.network
    first = max(int(span.network_address), int(edges.network_address) + 1)
    last = min(int(span.broadcast_address), int(edges.broadcast_address) - 1)
    for number in range(first, last + 1):
        if str(ipaddress.IPv4Address(number)) not in taken:
            return str(ipaddress.IPv4Address(number))
    raise Conflict(f"no available IPv4 addresses on this network's address pools: {network.name}")
