import pytest

from runtime.errors import InvalidParameter
from runtime.network.cluster.config import Endpoint, advertised_address, parse_cluster_config


def test_flags_become_a_config():
    config = parse_cluster_config("etcd://10.0.0.1:2379,10.0.0.2", "eth0:7946", ["discovery.ttl=7s"])
    assert config.endpoints == (Endpoint("10.0.0.1", 2379), Endpoint("10.0.0.2", 2379))
    assert (config.advertise, config.advertise_port, config.ttl, config.tls) == ("eth0", 7946, 7, False)
    assert config.url == "etcd://10.0.0.1:2379,10.0.0.2:2379"


@pytest.mark.parametrize(
    ("store", "advertise", "opts", "message"),
    [
        ("consul://x:8500", "eth0:1", [], "only etcd://HOST:PORT"),
        ("etcd://", "eth0:1", [], "names no endpoint"),
        ("etcd://x:99999", "eth0:1", [], "is not HOST[:PORT]"),
        ("etcd://x:2379", None, [], "needs --cluster-advertise"),
        ("etcd://x:2379", "eth0", [], "expected IFACE_OR_IP:PORT"),
        ("etcd://x:2379", "eth0:1", ["kv.certfile=/etc/hostname"], "give both or neither"),
        ("etcd://x:2379", "eth0:1", ["kv.cacertfile=/nonexistent"], "no such file"),
        ("etcd://x:2379", "eth0:1", ["discovery.ttl=1"], "2 seconds or more"),
        ("etcd://x:2379", "eth0:1", ["kv.path=/x"], "KEY one of"),
    ],
)
def test_bad_flags_are_refused_naming_the_flag(store, advertise, opts, message):
    with pytest.raises(InvalidParameter) as caught:
        parse_cluster_config(store, advertise, opts)
    assert message in caught.value.message


def test_the_advertised_address_comes_from_the_interface_when_one_is_named():
    by_name = parse_cluster_config("etcd://x:2379", "eth0:7946")
    assert advertised_address(by_name, {"eth0": "198.18.0.1"}.get) == "198.18.0.1"
    with pytest.raises(InvalidParameter, match="interface eth0 has no IPv4 address"):
        advertised_address(by_name, {}.get)
    given = parse_cluster_config("etcd://x:2379", "198.18.0.9:7946")
    assert advertised_address(given, {}.get) == "198.18.0.9"
