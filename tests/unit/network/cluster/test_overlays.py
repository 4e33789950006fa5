"""The network room's side of the store (runtime/network/overlays.py): global networks follow the store into
the local registry and out of it, and the other hosts' endpoints become DNS entries and kernel peers. No kernel
object is made here: these networks have no device on this machine, so programming them does nothing."""

from runtime.network.cluster.keys import ClusterEndpoint
from runtime.network.config import NetworkConfig
from runtime.network.overlays import Overlays
from runtime.network.records import NetworkRecord
from runtime.network.registry import NetworkRegistry
from runtime.network.store import NetworkStore
from tests.unit.network.cluster.fake_etcd import FakeEtcd
from tests.unit.network.cluster.test_claims import NETWORK, host, store_on


def overlays_on(tmp_path):
    cluster = store_on(FakeEtcd(), "a", tmp_path)
    registry = NetworkRegistry(NetworkStore(tmp_path / "data"))
    registry.load()
    return Overlays(cluster, registry, NetworkConfig(), tmp_path / "netns"), cluster, registry


def endpoint(host_id: str, ip: str, name: str) -> ClusterEndpoint:
    return ClusterEndpoint(NETWORK.id, f"e-{name}", host_id, "198.18.0.9", f"c-{name}", name, (name, f"c-{name}"[:12]),
                           ip, "02:42:0a:09:00:09")  # fmt: skip


def test_networks_follow_the_store_into_the_registry_and_out_unless_used_here(tmp_path):
    overlays, cluster, registry = overlays_on(tmp_path)
    cluster.networks[NETWORK.id] = NETWORK
    cluster.synced.set()
    overlays.reconcile({})
    assert registry.get(NETWORK.id) == NETWORK
    other = NetworkRecord("o" * 64, "other", "overlay", "t", subnet="10.8.0.0/24", gateway="10.8.0.1", scope="global")
    registry.put(other)
    overlays.reconcile({other.id: True})  # gone from the store but a container here is on it: kept
    assert registry.get(other.id) == other
    overlays.reconcile({})
    assert registry.get(other.id) is None and registry.get(NETWORK.id) == NETWORK


def test_before_the_store_was_read_nothing_is_dropped(tmp_path):
    overlays, cluster, registry = overlays_on(tmp_path)
    registry.put(NETWORK)
    overlays.reconcile({})  # the cache is empty because it was never filled: the registry keeps its networks
    assert registry.get(NETWORK.id) == NETWORK


def test_the_other_hosts_endpoints_are_dns_entries_and_this_hosts_are_not(tmp_path):
    overlays, cluster, _ = overlays_on(tmp_path)
    cluster.endpoints[NETWORK.id] = {
        "e-web": endpoint(host("b").host_id, "10.9.0.3", "web"),
        "e-own": endpoint(cluster.host.host_id, "10.9.0.4", "own"),
    }
    assert overlays.dns_entries(NETWORK.id) == [("10.9.0.3", ("web", "c-web"))]
