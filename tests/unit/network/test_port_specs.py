import pytest

from runtime.errors import InvalidParameter, NotImplementedYet
from runtime.network.port_specs import parse_port_requests
from runtime.network.records import PortRequest


@pytest.mark.parametrize(
    ("bindings", "exposed", "publish_all", "requests", "exposed_keys"),
    [
        ({}, [], False, (), ()),
        (
            {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
            [],
            False,
            (PortRequest("tcp", 80, "0.0.0.0", 8080, 8080),),
            ("80/tcp",),
        ),
        ({"80": [{"HostPort": "8080"}]}, [], False, (PortRequest("tcp", 80, "0.0.0.0", 8080, 8080),), ("80/tcp",)),
        (
            {"53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}]},
            [],
            False,
            (PortRequest("udp", 53, "127.0.0.1", 5353, 5353),),
            ("53/udp",),
        ),
        ({"80/tcp": [{"HostIp": "", "HostPort": ""}]}, [], False, (PortRequest("tcp", 80),), ("80/tcp",)),
        (
            {"80/tcp": [{"HostPort": "8000-8010"}]},
            [],
            False,
            (PortRequest("tcp", 80, "0.0.0.0", 8000, 8010),),
            ("80/tcp",),
        ),
        ({"80/tcp": None}, ["443/tcp"], False, (), ("80/tcp", "443/tcp")),
        (
            {},
            ["80/tcp", "53/udp", "80/tcp"],
            True,
            (PortRequest("tcp", 80), PortRequest("udp", 53)),
            ("80/tcp", "53/udp"),
        ),
        (
            {"80/tcp": [{"HostPort": "8080"}]},
            ["80/tcp", "443/tcp"],
            True,
            (PortRequest("tcp", 80, "0.0.0.0", 8080, 8080), PortRequest("tcp", 443)),
            ("80/tcp", "443/tcp"),
        ),
        (
            {"80/tcp": [{"HostPort": "8080"}, {"HostPort": "8080"}, {"HostPort": "9090"}]},
            [],
            False,
            (PortRequest("tcp", 80, "0.0.0.0", 8080, 8080), PortRequest("tcp", 80, "0.0.0.0", 9090, 9090)),
            ("80/tcp",),
        ),
    ],
)
def test_bindings_exposed_and_publish_all(bindings, exposed, publish_all, requests, exposed_keys):
    assert parse_port_requests(bindings, exposed, publish_all) == (requests, exposed_keys)


@pytest.mark.parametrize(
    ("bindings", "error", "message"),
    [
        ({"http/tcp": []}, InvalidParameter, "invalid port specification: 'http/tcp'"),
        ({"0/tcp": []}, InvalidParameter, "invalid port specification: '0/tcp'"),
        ({"70000/tcp": []}, InvalidParameter, "invalid port specification"),
        ({"80/icmp": []}, InvalidParameter, "protocol must be tcp or udp"),
        ({"80/sctp": []}, NotImplementedYet, "sctp is not supported"),
        ({"80/tcp": [{"HostPort": "x"}]}, InvalidParameter, "invalid port specification"),
        ({"80/tcp": [{"HostPort": "9000-8000"}]}, InvalidParameter, "invalid port specification: '9000-8000'"),
        ({"80/tcp": [{"HostIp": "nope", "HostPort": "1"}]}, InvalidParameter, "HostIp 'nope' of port 80/tcp"),
        ({"80/tcp": [{"HostIp": "::", "HostPort": "1"}]}, NotImplementedYet, "IPv6 publishing is not supported"),
    ],
)
def test_bad_port_specs_name_the_port(bindings, error, message):
    with pytest.raises(error) as caught:
        parse_port_requests(bindings, [], False)
    assert message in caught.value.message
