"""An in-memory stand-in of EtcdClient's surface for unit tests: keys with leases and revisions, transactions
that create only absent keys, leases that can be expired by hand. It keeps etcd's rules that the code relies on:
a create fails if any key exists, a key written under a lease goes when the lease does."""

from runtime.network.cluster.etcd import KeyValue, StoreUnavailable


class FakeEtcd:
    url = "etcd://fake:2379"

    def __init__(self) -> None:
        self.data: dict[str, KeyValue] = {}
        self.revision = 0
        self.leases: set[int] = set()
        self.granted = 1000  # lease ids are never reused
        self.down = False
        self.writes = 0

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable(f"network: cluster store {self.url}: unreachable (fake)")

    def _put(self, key: str, value: str, lease: int) -> None:
        self.revision += 1
        self.data[key] = KeyValue(key, value, self.revision, lease)

    def range_prefix(self, prefix: str):
        self._check()
        return [kv for k, kv in sorted(self.data.items()) if k.startswith(prefix)], self.revision

    def get(self, key: str):
        self._check()
        return self.data.get(key)

    def put(self, key: str, value: str, lease: int = 0) -> None:
        self._check()
        self.writes += 1
        self._put(key, value, lease)

    def delete(self, key: str) -> None:
        self._check()
        self.writes += 1
        self.data.pop(key, None)

    def delete_held(self, key: str, lease: int, also: tuple[str, ...] = ()) -> bool:
        self._check()
        self.writes += 1
        held = key in self.data and self.data[key].lease == lease
        for k in (key, *also) if held else also:
            self.data.pop(k, None)
        return held

    def create(self, puts: dict[str, str], lease: int = 0, absent: tuple[str, ...] = ()) -> bool:
        self._check()
        self.writes += 1
        if any(k in self.data for k in (*puts, *absent)):
            return False
        for key, value in puts.items():
            self._put(key, value, lease)
        return True

    def grant(self, ttl: int) -> int:
        self._check()
        self.granted += 1
        self.leases.add(self.granted)
        return self.granted

    def keep_alive(self, lease: int) -> bool:
        self._check()
        return lease in self.leases

    def expire(self, lease: int) -> None:
        """The lease runs out: its keys go, as etcd does it."""
        self.leases.discard(lease)
        self.data = {k: kv for k, kv in self.data.items() if kv.lease != lease}
