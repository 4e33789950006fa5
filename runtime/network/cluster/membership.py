"""This host's membership of the cluster: its lease, its host key, and its claims (addresses and endpoints)
republished whenever they may have been lost.

Every key this host writes lives under its lease, so a host that disappears is cleaned from the others once the
lease expires. A keeper thread refreshes the lease every third of its TTL. A daemon that restarts takes its old
lease back if it is still alive (so its endpoints never vanish from the others); if it is not, or the lease expired
while the store was out of reach, a new one is granted and every claim is written again under it. After any
outage the claims are also reconciled both ways: what this host holds is written, what it no longer holds (a
container stopped while the store was away) is deleted.

Split brain: when this host was cut off from the store for longer than its lease, the others expired its claims and
may have given one of its addresses to a container of theirs. The address stays theirs (an address is written back
only where it is still free, in a transaction); this host's container at it is reported to on_lost (the network
room takes it off the network) and its endpoint is not written again.
"""

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.throttle import LogThrottle
from runtime.atomicfile import read_json, write_json_atomic
from runtime.network.cluster.etcd import EtcdClient, KeyValue, StoreUnavailable
from runtime.network.cluster.keys import (
    ENDPOINTS,
    IPAM,
    AddressClaim,
    ClusterEndpoint,
    ClusterHost,
    LostClaim,
    endpoint_key,
    host_key,
    parse_ipam_key,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Claims:
    """What this host holds now: ipam key -> claim, and its endpoints."""

    addresses: Mapping[str, AddressClaim] = field(default_factory=dict)
    endpoints: Sequence[ClusterEndpoint] = ()


class Membership:
    def __init__(self, etcd: EtcdClient, host: ClusterHost, ttl: int, lease_file: Path) -> None:
        self.etcd = etcd
        self.host = host
        self.ttl = ttl
        self.lease_file = lease_file
        self.lease = 0  # 0 until joined: nothing is written under no lease
        self.reachable = False
        self._claims: Callable[[], Claims] = Claims
        self._on_lost: Callable[[LostClaim], None] = lambda lost: None
        self._reported: set[str] = set()  # ipam keys reported lost (once each)
        self._stopping = threading.Event()
        self._throttle = LogThrottle(30.0)
        self._thread = threading.Thread(target=self._keep, name="porthole-cluster-lease", daemon=True)

    def start(self, claims: Callable[[], Claims], on_lost: Callable[[LostClaim], None]) -> None:
        """Join now if the store answers (the keeper retries if it does not), then keep the lease alive."""
        self._claims, self._on_lost = claims, on_lost
        self._refresh()
        self._thread.start()

    def close(self) -> None:
        """Stop refreshing; the lease is left to expire (a restart within its TTL takes it back)."""
        self._stopping.set()

    def _keep(self) -> None:
        while not self._stopping.wait(max(1.0, self.ttl / 3)):
            self._refresh()

    def _refresh(self) -> None:
        try:
            recovered = not self.reachable
            if not (self.lease and self.etcd.keep_alive(self.lease)):
                self._new_lease()
                recovered = True
            self.reachable = True
            if recovered:
                self.republish()
        except StoreUnavailable as exc:
            self.reachable = False
            if self._throttle.due("unreachable"):
                log.warning("%s (running containers keep their network; new endpoints wait for it)", exc.message)

    def _new_lease(self) -> None:
        """The lease of a previous run if it still lives, else a new one; the host key written under it."""
        old = self._load_lease()
        if old and old != self.lease and self.etcd.keep_alive(old):
            self.lease = old
        else:
            self.lease = self.etcd.grant(self.ttl)
            write_json_atomic(self.lease_file, {"lease": self.lease})
        self.etcd.put(host_key(self.host.host_id), self.host.to_json(), lease=self.lease)

    def _load_lease(self) -> int:
        if not self.lease_file.exists():
            return 0
        return int(read_json(self.lease_file).get("lease", 0))

    def republish(self) -> None:
        """Make the store hold exactly this host's claims, under the current lease; report the addresses another
        host holds now."""
        claims = self._claims()
        addresses = {key: claim.to_json() for key, claim in claims.addresses.items()}
        endpoints = {endpoint_key(e.network_id, e.endpoint_id): e for e in claims.endpoints}
        stored = {kv.key: kv for kv in [*self.etcd.range_prefix(IPAM)[0], *self.etcd.range_prefix(ENDPOINTS)[0]]}
        for kv in stored.values():
            if kv.key not in addresses and kv.key not in endpoints and self._ours(kv.value):
                self.etcd.delete(kv.key)
        lost = [key for key, value in addresses.items() if not self._write_address(key, value, stored.get(key))]
        gone = {parse_ipam_key(key) for key in lost}
        for key, endpoint in endpoints.items():
            if (endpoint.network_id, endpoint.ip) not in gone:
                self._write(key, endpoint.to_json(), stored.get(key))
        self._reported &= set(addresses)
        for key in lost:
            if key not in self._reported:
                self._reported.add(key)
                self._report(self._lost_claim(key, claims.addresses[key].owner))

    def _report(self, lost: LostClaim) -> None:
        try:
            self._on_lost(lost)
        except Exception:  # noqa: BLE001 - the keeper thread must outlive a failed disconnect: the lease depends on it
            log.exception(
                "network: %s on %s: taking the container off the network failed", lost.address, lost.network_id
            )

    def _ours(self, value: str) -> bool:
        return json.loads(value).get("host_id") == self.host.host_id

    def _write_address(self, key: str, value: str, stored: KeyValue | None) -> bool:
        """Hold the address under the current lease; False if another host holds it."""
        if stored is None:  # free unless another host takes it this very moment: the transaction decides
            return self.etcd.create({key: value}, lease=self.lease)
        if not self._ours(stored.value):
            return False
        self._write(key, value, stored)
        return True

    def _write(self, key: str, value: str, stored: KeyValue | None) -> None:
        if stored is None or stored.value != value or stored.lease != self.lease:
            self.etcd.put(key, value, lease=self.lease)

    def _lost_claim(self, key: str, owner: str) -> LostClaim:
        network_id, address = parse_ipam_key(key)
        holder = self.etcd.get(key)
        holder_id = AddressClaim.from_json(holder.value).host_id if holder is not None else "?"
        host = self.etcd.get(host_key(holder_id))
        name = ClusterHost.from_json(host.value).name if host is not None else holder_id
        return LostClaim(network_id, address, owner, name)
