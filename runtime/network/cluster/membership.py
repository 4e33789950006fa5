"""This host's membership of the cluster: its lease, its host key, and its claims (addresses and endpoints)
republished whenever they may have been lost.

Every key this host writes lives under its lease, so a host that disappears is cleaned from the others once the
lease expires. A keeper thread refreshes the lease every third of its TTL. A daemon that restarts takes its old
lease back if it is still alive (so its endpoints never vanish from the others); if it is not, or the lease expired
while the store was out of reach, a new one is granted and every claim is written again under it. After any
outage the claims are also reconciled both ways: what this host holds is written, what it no longer holds (a
container stopped while the store was away) is deleted.
"""

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.throttle import LogThrottle
from runtime.atomicfile import read_json, write_json_atomic
from runtime.network.cluster.etcd import EtcdClient, StoreUnavailable
from runtime.network.cluster.keys import (
    ENDPOINTS,
    IPAM,
    AddressClaim,
    ClusterEndpoint,
    ClusterHost,
    endpoint_key,
    host_key,
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
        self._stopping = threading.Event()
        self._throttle = LogThrottle(30.0)
        self._thread = threading.Thread(target=self._keep, name="porthole-cluster-lease", daemon=True)

    def start(self, claims: Callable[[], Claims]) -> None:
        """Join now if the store answers (the keeper retries if it does not), then keep the lease alive."""
        self._claims = claims
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
        """Make the store hold exactly this host's claims, under the current lease."""
        claims = self._claims()
        wanted = {key: claim.to_json() for key, claim in claims.addresses.items()}
        wanted.update({endpoint_key(e.network_id, e.endpoint_id): e.to_json() for e in claims.endpoints})
        held, _ = self.etcd.range_prefix(IPAM)
        endpoints, _ = self.etcd.range_prefix(ENDPOINTS)
        for kv in [*held, *endpoints]:
            ours = json.loads(kv.value).get("host_id") == self.host.host_id
            if ours and kv.key not in wanted:
                self.etcd.delete(kv.key)
            elif kv.key in wanted and not ours:
                log.error("network: cluster claim %s: now held by another host; this host's copy is dropped", kv.key)
                wanted.pop(kv.key)
            elif kv.key in wanted and kv.value == wanted[kv.key] and kv.lease == self.lease:
                wanted.pop(kv.key)
        for key, value in wanted.items():
            self.etcd.put(key, value, lease=self.lease)
