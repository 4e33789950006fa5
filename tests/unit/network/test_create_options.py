import ipaddress

import pytest

from runtime.errors import Forbidden, InvalidParameter, NotFound, NotImplementedYet
from runtime.network.create_options import parse_create_body


def body(**fields):
    return {"Name": "n1", **fields}


def ipam(**config):
    return {"IPAM": {"Driver": "default", "Config": [config]}}


@pytest.mark.parametrize(
    ("fields", "subnet", "gateway", "ip_range"),
    [
        ({}, None, None, None),
        (ipam(Subnet="10.1.0.0/24"), "10.1.0.0/24", None, None),
        (ipam(Subnet="10.1.0.0/16", Gateway="10.1.0.254"), "10.1.0.0/16", "10.1.0.254", None),
        (ipam(Subnet="10.1.0.0/16", IPRange="10.1.4.0/24"), "10.1.0.0/16", None, "10.1.4.0/24"),
        ({"IPAM": {"Config": []}}, None, None, None),
    ],
)
def test_addresses_are_parsed(fields, subnet, gateway, ip_range):
    options = parse_create_body(body(**fields))
    assert options.subnet == (ipaddress.IPv4Network(subnet) if subnet else None)
    assert options.gateway == (ipaddress.IPv4Address(gateway) if gateway else None)
    assert options.ip_range == (ipaddress.IPv4Network(ip_range) if ip_range else None)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"Name": ""}, InvalidParameter, "network: field Name: must not be empty"),
        ({"Name": "a/b"}, InvalidParameter, "must not contain '/'"),
        ({"Driver": "weave"}, NotFound, 'plugin "weave" not found'),
        ({"Name": "none"}, Forbidden, "operation is not permitted on predefined none network "),
        ({"Name": "default"}, Forbidden, "operation is not permitted on predefined default network "),
        ({"Driver": "overlay", "Scope": "local"}, InvalidParameter, "networks of the overlay driver have global scope"),
        ({"Driver": "bridge", "Scope": "global"}, InvalidParameter, "networks of the bridge driver have local scope"),
        ({"Driver": "macvlan"}, InvalidParameter, "option parent: names no host interface"),
        (
            {"Driver": "overlay", "Options": {"encrypted": ""}},
            NotImplementedYet,
            "network: overlay option encrypted: IPsec between the hosts is not supported",
        ),
        ({"Driver": "macvlan", "Options": {"parent": "eth0.5000"}}, InvalidParameter, "must be 1 to 4094"),
        (
            {"Driver": "macvlan", "Options": {"parent": "eth0", "macvlan_mode": "l2"}},
            InvalidParameter,
            "option macvlan_mode 'l2': must be one of bridge, private, vepa, passthru",
        ),
        ({"Driver": "ipvlan", "Options": {"parent": "eth0", "ipvlan_mode": "l3s"}}, InvalidParameter, "one of l2, l3"),
        (
            ipam(Subnet="10.0.0.0/24", AuxiliaryAddresses={"router": "10.0.1.1"}),
            InvalidParameter,
            "invalid auxiliary address router=10.0.1.1: parent subnet 10.0.0.0/24 doesn't contain this address",
        ),
        ({"Driver": "host"}, Forbidden, 'only one instance of "host" network is allowed'),
        ({"EnableIPv6": True}, NotImplementedYet, "IPv6 networks are not supported"),
        ({"Ingress": True}, NotImplementedYet, "field Ingress"),
        (ipam(Subnet="10.1.0.5/24"), InvalidParameter, "invalid subnet 10.1.0.5/24: it should be 10.1.0.0/24"),
        (ipam(Subnet="10.1.0.0/33"), InvalidParameter, "invalid subnet 10.1.0.0/33"),
        (ipam(Subnet="10.1.0.0/31"), InvalidParameter, "must be /30 or larger"),
        (
            ipam(Subnet="10.0.0.0/24", Gateway="10.1.0.1"),
            InvalidParameter,
            "invalid gateway 10.1.0.1: parent subnet 10.0.0.0/24 doesn't contain this address",
        ),
        (
            ipam(Subnet="10.0.0.0/24", IPRange="10.0.1.0/28"),
            InvalidParameter,
            "invalid ip-range 10.0.1.0/28: parent subnet 10.0.0.0/24 doesn't contain ip-range",
        ),
        (ipam(Gateway="10.0.0.1"), InvalidParameter, "a gateway or ip-range needs a subnet"),
        (ipam(Subnet="fd00::/64"), NotImplementedYet, "IPv6 networks are not supported"),
        (
            {"Options": {"com.docker.network.bridge.name": "a-very-long-bridge-name"}},
            InvalidParameter,
            "must have 1 to 15 characters",
        ),
        ({"Options": {"com.docker.network.driver.mtu": "9x"}}, InvalidParameter, "not an integer"),
        ({"Options": {"com.docker.network.bridge.enable_icc": "maybe"}}, InvalidParameter, "not a boolean"),
        ({"Labels": {"a": 1}}, InvalidParameter, "field Labels: must map strings to strings"),
    ],
)
def test_bad_bodies_are_refused_with_the_field_and_reason(fields, error, message):
    with pytest.raises(error) as caught:
        parse_create_body(body(**fields))
    assert message in caught.value.message


def test_options_become_bridge_settings():
    options = parse_create_body(
        body(
            Internal=True,
            Labels={"team": "a"},
            Options={
                "com.docker.network.bridge.name": "pt-test0",
                "com.docker.network.driver.mtu": "1400",
                "com.docker.network.bridge.enable_icc": "false",
                "com.docker.network.bridge.enable_ip_masquerade": "0",
            },
        )
    )
    assert (options.bridge_name, options.mtu, options.icc, options.masquerade) == ("pt-test0", 1400, False, False)
    assert options.internal is True
    assert options.labels == {"team": "a"}


def test_an_overlay_body_keeps_its_driver_and_mtu_option():
    options = parse_create_body(
        body(Driver="overlay", Scope="global", Options={"com.docker.network.driver.mtu": "9000"}, Attachable=True)
    )
    assert (options.driver, options.mtu, options.attachable) == ("overlay", 9000, True)


def test_macvlan_and_ipvlan_bodies_keep_parent_mode_and_aux_addresses():
    options = parse_create_body(
        body(
            Driver="macvlan",
            Options={"parent": "eth0.10"},
            **ipam(Subnet="10.9.0.0/24", AuxiliaryAddresses={"r": "10.9.0.9"}),
        )
    )
    assert (options.parent, options.mode, options.aux_addresses) == ("eth0.10", "bridge", {"r": "10.9.0.9"})
    ipvlan = parse_create_body(body(Driver="ipvlan", Options={"parent": "eth0", "ipvlan_mode": "l3"}))
    assert (ipvlan.parent, ipvlan.mode) == ("eth0", "l3")
