import errno
import ipaddress

import pytest

from runtime.errors import Conflict, InvalidParameter
from runtime.network import ipam
from runtime.network.ipam import AddressPool, pick_subnet

A = ipaddress.IPv4Address
N = ipaddress.IPv4Network


def pool(tmp_path, subnet="10.9.0.0/29", gateway="10.9.0.1", ip_range=None):
    return AddressPool(tmp_path / "pool.json", "n1 (abc)", N(subnet), A(gateway), N(ip_range) if ip_range else None)


def test_dynamic_addresses_skip_gateway_and_walk_on_from_the_last(tmp_path):
    p = pool(tmp_path)
    assert [p.allocate(f"c{i}") for i in range(3)] == [A("10.9.0.2"), A("10.9.0.3"), A("10.9.0.4")]
    p.release(A("10.9.0.2"))
    # a just-released address is not handed out again while newer ones are free
    assert p.allocate("c3") == A("10.9.0.5")


def test_allocator_wraps_and_never_hands_out_an_address_twice(tmp_path):
    p = pool(tmp_path)
    taken = [p.allocate(f"c{i}") for i in range(5)]  # .2-.6 of a /29 (.7 is broadcast)
    assert len(set(taken)) == 5
    with pytest.raises(Conflict) as caught:
        p.allocate("c5")
    assert caught.value.message == "no available IPv4 addresses on this network's address pools: n1 (abc)"
    p.release(A("10.9.0.3"))
    assert p.allocate("c6") == A("10.9.0.3")


def test_allocations_survive_a_new_allocator_on_the_same_file(tmp_path):
    first = pool(tmp_path)
    first.allocate("a")
    first.allocate("b", A("10.9.0.6"))
    second = pool(tmp_path)
    assert second.allocations == {A("10.9.0.2"): "a", A("10.9.0.6"): "b"}
    assert second.allocate("c") == A("10.9.0.3")


def test_a_recreated_network_with_another_subnet_ignores_old_allocations(tmp_path):
    pool(tmp_path).allocate("a")
    assert pool(tmp_path, "10.8.0.0/29", "10.8.0.1").allocations == {}


@pytest.mark.parametrize(
    ("requested", "error", "message"),
    [
        ("10.9.1.2", InvalidParameter, "no configured subnet or ip-range contain the IP address 10.9.1.2"),
        ("10.9.0.0", InvalidParameter, "network or broadcast address"),
        ("10.9.0.7", InvalidParameter, "network or broadcast address"),
        ("10.9.0.1", Conflict, "Address already in use"),
        ("10.9.0.2", Conflict, "Address already in use"),
    ],
)
def test_requested_addresses_are_checked(tmp_path, requested, error, message):
    p = pool(tmp_path)
    p.allocate("a")
    with pytest.raises(error) as caught:
        p.allocate("b", A(requested))
    assert caught.value.message == message or message in caught.value.message


def test_ip_range_bounds_dynamic_but_not_static_addresses(tmp_path):
    p = pool(tmp_path, "10.9.0.0/24", "10.9.0.1", "10.9.0.128/30")
    assert [p.allocate("a"), p.allocate("b"), p.allocate("c"), p.allocate("d")] == [
        A("10.9.0.128"),
        A("10.9.0.129"),
        A("10.9.0.130"),
        A("10.9.0.131"),
    ]
    with pytest.raises(Conflict):
        p.allocate("e")
    assert p.allocate("f", A("10.9.0.20")) == A("10.9.0.20")


def test_keep_only_reconciles_after_a_restart(tmp_path):
    p = pool(tmp_path)
    p.allocate("alive")
    p.allocate("dead")
    p.keep_only({A("10.9.0.2"): "alive"})
    assert pool(tmp_path).allocations == {A("10.9.0.2"): "alive"}


def test_a_change_the_disk_refused_is_written_by_the_next_save(tmp_path, monkeypatch):
    p = pool(tmp_path)
    p.allocate("alive")
    p.allocate("dead")
    full = OSError(errno.ENOSPC, "No space left on device")

    def refuse(path, obj):
        raise full

    monkeypatch.setattr(ipam, "write_json_atomic", refuse)
    with pytest.raises(OSError):
        p.keep_only({A("10.9.0.2"): "alive"})
    assert p.unsaved and p.allocations == {A("10.9.0.2"): "alive"}
    monkeypatch.undo()
    p.release(A("10.9.0.3"))  # no longer held in memory, but the file still has it: written now
    assert pool(tmp_path).allocations == {A("10.9.0.2"): "alive"}
    assert not p.unsaved
    p.save()  # nothing to write


def test_pick_subnet_avoids_taken_networks():
    taken = [N("10.5.0.0/24"), N("10.5.1.128/25")]
    assert pick_subnet(N("10.5.0.0/16"), 24, taken) == N("10.5.2.0/24")
    with pytest.raises(Conflict) as caught:
        pick_subnet(N("10.5.0.0/23"), 24, taken)
    assert "could not find an available, non-overlapping IPv4 address pool" in caught.value.message


def test_auxiliary_addresses_are_never_handed_out(tmp_path):
    p = AddressPool(tmp_path / "pool.json", "n1 (abc)", N("10.9.0.0/29"), A("10.9.0.1"), reserved=[A("10.9.0.2")])
    assert p.allocate("c1") == A("10.9.0.3")
    with pytest.raises(Conflict, match="Address already in use"):
        p.allocate("c2", A("10.9.0.2"))
