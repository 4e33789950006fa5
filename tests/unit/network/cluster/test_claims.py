"""Address claims and republishing, against an in-memory etcd (fake_etcd.py) that keeps the rules relied on."""

import json

import pytest

from runtime.errors import Conflict
from runtime.network.cluster import keys
from runtime.network.cluster.config import parse_cluster_config
from runtime.network.cluster.etcd import Event
from runtime.network.cluster.keys import AddressClaim, ClusterEndpoint, ClusterHost, LostClaim
from runtime.network.cluster.membership import Claims, Membership
from runtime.network.cluster.store import ClusterStore
from runtime.network.records import NetworkRecord
from tests.unit.network.cluster.fake_etcd import FakeEtcd

NETWORK = NetworkRecord(
    id="n" * 64, name="ov", driver="overlay", created="t", subnet="10.9.0.0/29", gateway="10.9.0.1", scope="global",
    vni=4097, aux_addresses={"router": "10.9.0.2"},
)  # fmt: skip


def host(name: str) -> ClusterHost:
    return ClusterHost(f"id-{name}", name, f"198.18.0.{ord(name) - 96}", "eth0:7946")


def store_on(etcd: FakeEtcd, name: str, tmp_path) -> ClusterStore:
    store = ClusterStore(parse_cluster_config("etcd://fake:2379", "eth0:7946"), host(name), tmp_path / name)
    store.etcd = etcd
    store.membership.etcd = etcd
    store.membership.lease = etcd.grant(5)
    return store


def endpoint_for(store: ClusterStore, owner: str):
    def at(address: str) -> ClusterEndpoint:
        return ClusterEndpoint(NETWORK.id, f"e-{owner}", store.host.host_id, store.host.address, owner, owner,
                               (owner,), address, "02:42:00:00:00:00")  # fmt: skip

    return at


def test_claims_skip_the_gateway_the_aux_addresses_and_other_hosts_claims(tmp_path):
    etcd = FakeEtcd()
    a, b = store_on(etcd, "a", tmp_path), store_on(etcd, "b", tmp_path)
    first = a.claim(NETWORK, "c1", None, endpoint_for(a, "c1"))
    # b's cache has not seen a's claim yet: its first guess collides, the transaction refuses it, it reads again
    second = b.claim(NETWORK, "c2", None, endpoint_for(b, "c2"))
    assert (first.ip, second.ip) == ("10.9.0.3", "10.9.0.4")
    held = {kv.key: kv.lease for kv in etcd.range_prefix(keys.ROOT)[0]}
    assert held[keys.ipam_key(NETWORK.id, "10.9.0.3")] == a.membership.lease
    assert keys.endpoint_key(NETWORK.id, "e-c2") in held


def test_a_requested_address_held_elsewhere_or_reserved_is_a_conflict(tmp_path):
    etcd = FakeEtcd()
    a, b = store_on(etcd, "a", tmp_path), store_on(etcd, "b", tmp_path)
    a.claim(NETWORK, "c1", "10.9.0.5", endpoint_for(a, "c1"))
    with pytest.raises(Conflict, match="Address already in use"):
        b.claim(NETWORK, "c2", "10.9.0.5", endpoint_for(b, "c2"))
    with pytest.raises(Conflict, match="Address already in use"):
        b.claim(NETWORK, "c3", "10.9.0.2", endpoint_for(b, "c3"))  # --aux-address


def test_a_full_network_says_so(tmp_path):
    etcd = FakeEtcd()
    a = store_on(etcd, "a", tmp_path)
    for n in range(4):  # .3 .4 .5 .6 (.1 gateway, .2 aux, .7 broadcast)
        a.claim(NETWORK, f"c{n}", None, endpoint_for(a, f"c{n}"))
    with pytest.raises(Conflict, match="no available IPv4 addresses on this network's address pools: ov"):
        a.claim(NETWORK, "c9", None, endpoint_for(a, "c9"))


def test_republish_writes_what_the_host_holds_and_drops_what_it_no_longer_does(tmp_path):
    etcd = FakeEtcd()
    me, other = host("a"), host("b")
    etcd.put(keys.ipam_key(NETWORK.id, "10.9.0.3"), AddressClaim(me.host_id, "gone").to_json(), 7)
    etcd.put(keys.ipam_key(NETWORK.id, "10.9.0.4"), AddressClaim(other.host_id, "theirs").to_json(), 8)
    membership = Membership(etcd, me, 5, tmp_path / "lease.json")
    membership.lease = etcd.grant(5)
    kept = ClusterEndpoint(
        NETWORK.id, "e1", me.host_id, me.address, "c1", "web", ("web",), "10.9.0.5", "02:42:0a:09:00:05"
    )
    membership._claims = lambda: Claims({keys.ipam_key(NETWORK.id, "10.9.0.5"): AddressClaim(me.host_id, "c1")}, [kept])
    membership.republish()
    held = {kv.key: kv for kv in etcd.range_prefix(keys.ROOT)[0]}
    assert keys.ipam_key(NETWORK.id, "10.9.0.3") not in held  # ours, no longer held
    assert held[keys.ipam_key(NETWORK.id, "10.9.0.4")].lease == 8  # another host's, untouched
    assert held[keys.ipam_key(NETWORK.id, "10.9.0.5")].lease == membership.lease
    assert held[keys.endpoint_key(NETWORK.id, "e1")].value == kept.to_json()
    writes = etcd.writes
    membership.republish()  # nothing changed: nothing written
    assert etcd.writes == writes


def test_a_lost_lease_is_replaced_and_the_claims_written_again(tmp_path):
    etcd = FakeEtcd()
    me = host("a")
    membership = Membership(etcd, me, 5, tmp_path / "lease.json")
    claim = {keys.ipam_key(NETWORK.id, "10.9.0.5"): AddressClaim(me.host_id, "c1")}
    membership._claims = lambda: Claims(claim, [])
    membership._refresh()
    first = membership.lease
    assert etcd.get(keys.host_key(me.host_id)) is not None
    etcd.down = True
    membership._refresh()  # unreachable: logged, nothing lost here
    assert not membership.reachable
    etcd.down = False
    etcd.expire(first)  # the outage outlived the lease: its keys are gone
    membership._refresh()
    assert membership.lease != first and membership.reachable
    assert etcd.get(keys.ipam_key(NETWORK.id, "10.9.0.5")).lease == membership.lease
    assert etcd.get(keys.host_key(me.host_id)).lease == membership.lease


def test_a_restart_takes_the_old_lease_back_while_it_lives(tmp_path):
    etcd = FakeEtcd()
    me = host("a")
    before = Membership(etcd, me, 5, tmp_path / "lease.json")
    before._refresh()
    after = Membership(etcd, me, 5, tmp_path / "lease.json")  # the daemon again, same data root
    after._refresh()
    assert after.lease == before.lease


def test_an_address_taken_while_the_lease_was_lost_stays_the_takers_and_is_reported(tmp_path):
    """Split brain: this host was cut off longer than its lease; another host took one of its addresses. The
    taker keeps it; this host's endpoint at it is not written again, and the loss is reported once."""
    etcd = FakeEtcd()
    me, other = host("a"), host("b")
    etcd.put(keys.host_key(other.host_id), other.to_json())
    membership = Membership(etcd, me, 5, tmp_path / "lease.json")

    def endpoint(name: str, address: str) -> ClusterEndpoint:
        return ClusterEndpoint(NETWORK.id, f"e-{name}", me.host_id, me.address, name, name, (name,), address, "02:42")

    held = {"kept": "10.9.0.3", "taken": "10.9.0.4"}

    def claims() -> Claims:
        return Claims(
            {keys.ipam_key(NETWORK.id, ip): AddressClaim(me.host_id, name) for name, ip in held.items()},
            [endpoint(name, ip) for name, ip in held.items()],
        )

    lost: list[LostClaim] = []
    membership.start(claims, lost.append)
    membership.close()
    etcd.expire(membership.lease)  # cut off longer than the lease: the others expired everything of this host
    etcd.put(keys.ipam_key(NETWORK.id, "10.9.0.4"), AddressClaim(other.host_id, "usurper").to_json(), 9)
    membership._refresh()
    stored = {kv.key: kv for kv in etcd.range_prefix(keys.ROOT)[0]}
    assert stored[keys.ipam_key(NETWORK.id, "10.9.0.3")].lease == membership.lease  # same address, new lease
    assert keys.endpoint_key(NETWORK.id, "e-kept") in stored
    assert AddressClaim.from_json(stored[keys.ipam_key(NETWORK.id, "10.9.0.4")].value).host_id == other.host_id
    assert keys.endpoint_key(NETWORK.id, "e-taken") not in stored  # no second endpoint at the taker's address
    assert lost == [LostClaim(NETWORK.id, "10.9.0.4", "taken", "b")]
    membership.republish()
    assert len(lost) == 1  # reported once, not at every republish (the container has left by then)


def test_a_withdrawal_leaves_an_address_another_host_took(tmp_path):
    etcd = FakeEtcd()
    a = store_on(etcd, "a", tmp_path)
    mine = a.claim(NETWORK, "c1", None, endpoint_for(a, "c1"))
    etcd.expire(a.membership.lease)
    etcd.put(keys.ipam_key(NETWORK.id, mine.ip), AddressClaim("id-b", "usurper").to_json(), 9)
    a.membership.lease = etcd.grant(5)
    a.unclaim(NETWORK.id, mine.endpoint_id, mine.ip)
    a._withdrawals.put(None)
    a._withdraw()  # the withdrawer thread's work, here
    assert AddressClaim.from_json(etcd.get(keys.ipam_key(NETWORK.id, mine.ip)).value).host_id == "id-b"


def test_the_watch_wakes_the_network_room_only_for_what_it_programs(tmp_path):
    """The listener (which reprograms overlays and rewrites rules and DNS under the network room's lock) runs for
    networks, hosts and other hosts' endpoints; this host's own claims and endpoints, which it already has, would
    only make every container start and stop on an overlay wait behind two needless rounds of it."""
    a, b = store_on(FakeEtcd(), "a", tmp_path), store_on(FakeEtcd(), "b", tmp_path)
    calls = []
    a._listener = lambda: calls.append(1)
    mine, theirs = endpoint_for(a, "c1")("10.9.0.3"), endpoint_for(b, "c2")("10.9.0.4")
    own_key, their_key = keys.endpoint_key(NETWORK.id, "e-c1"), keys.endpoint_key(NETWORK.id, "e-c2")
    ipam = keys.ipam_key(NETWORK.id, "10.9.0.3")
    claim = AddressClaim(a.host.host_id, "c1").to_json()
    a._apply([Event(ipam, claim, 1), Event(own_key, mine.to_json(), 1)])
    a._apply([Event(own_key, None, 2), Event(ipam, None, 2)])
    assert calls == []
    a._apply([Event(their_key, theirs.to_json(), 3)])
    a._apply([Event(their_key, None, 4)])
    a._apply([Event(keys.network_key(NETWORK.id), json.dumps(NETWORK.to_json()), 5)])
    assert len(calls) == 3
    assert a.remote_endpoints(NETWORK.id) == [] and NETWORK.id in a.networks


def test_a_failed_report_of_a_lost_address_leaves_the_keeper_running(tmp_path):
    etcd = FakeEtcd()
    me = host("a")
    membership = Membership(etcd, me, 5, tmp_path / "lease.json")
    claim = {keys.ipam_key(NETWORK.id, "10.9.0.4"): AddressClaim(me.host_id, "taken")}
    etcd.put(keys.ipam_key(NETWORK.id, "10.9.0.4"), AddressClaim("id-b", "usurper").to_json(), 9)

    def failing(lost: LostClaim) -> None:
        raise RuntimeError("disconnect failed")

    membership.start(lambda: Claims(claim, []), failing)  # joins and republishes at once: the report fails, logged
    membership.close()
    assert membership._thread.ident is not None  # the keeper was started all the same
    assert membership.reachable and etcd.get(keys.host_key(me.host_id)) is not None
