import pytest

from runtime.errors import InvalidParameter
from runtime.network.config import NetworkConfig, container_upstreams


def test_defaults_do_not_collide_with_docker_or_podman():
    config = NetworkConfig()
    assert config.bridge_name == "porthole0"
    assert str(config.bridge_address) == "10.200.0.1/16"
    assert config.dns_upstreams is None  # the host's resolvers, as Docker's embedded DNS


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"bridge_name": "x" * 16}, "bridge name"),
        ({"bip": "10.200.0.0/16"}, "must be a host address"),
        ({"bip": "nonsense"}, "not an IPv4 address/prefix"),
        ({"bip": "fd00::1/64"}, "must be IPv4"),
        ({"chain_prefix": "lower"}, "chain prefix 'lower'"),
        ({"chain_prefix": "A" * 13}, "chain prefix"),
        ({"dns_upstreams": ("1.2.3.4:99999",)}, "port out of range"),
        ({"dns_upstreams": ("dns.example",)}, "not an IPv4 address"),
        ({"mtu": 20}, "mtu 20"),
        ({"address_pool": "10.0.0.0/24", "pool_prefixlen": 16}, "size must be between /24 and /30"),
    ],
)
def test_bad_flags_are_refused_with_the_flag_named(fields, message):
    with pytest.raises(InvalidParameter) as caught:
        NetworkConfig(**fields)
    assert message in caught.value.message


def test_a_containers_dns_servers_become_its_upstreams_as_libnetwork_takes_them():
    servers = ("192.0.2.1", "2001:db8::53", "192.0.2.2", "192.0.2.3", "192.0.2.4")
    assert container_upstreams(servers) == (("192.0.2.1", 53), ("192.0.2.2", 53), ("192.0.2.3", 53))
    assert container_upstreams(()) == ()
