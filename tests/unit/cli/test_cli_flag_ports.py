"""`-p` specs parsed as docker's nat.ParsePortSpec parses them."""

import pytest

from porthole.cli.flags.ports import PortMapping, parse_port_spec, port_bindings, port_key
from runtime.errors import InvalidParameter


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("80", [PortMapping("80/tcp", "", "")]),
        ("8080:80", [PortMapping("80/tcp", "", "8080")]),
        ("127.0.0.1:8080:80", [PortMapping("80/tcp", "127.0.0.1", "8080")]),
        ("127.0.0.1::80", [PortMapping("80/tcp", "127.0.0.1", "")]),
        ("53:53/udp", [PortMapping("53/udp", "", "53")]),
        ("53:53/UDP", [PortMapping("53/udp", "", "53")]),
        ("9000:90/sctp", [PortMapping("90/sctp", "", "9000")]),
        ("[::1]:8080:80", [PortMapping("80/tcp", "::1", "8080")]),
        ("::1:8080:80", [PortMapping("80/tcp", "::1", "8080")]),
        ("8000-8001:80-81", [PortMapping("80/tcp", "", "8000"), PortMapping("81/tcp", "", "8001")]),
        ("80-81", [PortMapping("80/tcp", "", ""), PortMapping("81/tcp", "", "")]),
        ("8000-8010:80", [PortMapping("80/tcp", "", "8000-8010")]),
    ],
)
def test_parse_port_spec(spec, expected):
    assert parse_port_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no container port"),
        ("8080:", "no container port"),
        ("x:80", "invalid host port 'x'"),
        ("8080:y", "invalid container port 'y'"),
        ("70000:80", "invalid host port '70000'"),
        ("80/icmp", "unknown protocol 'icmp'"),
        ("300.0.0.1:80:80", "invalid IP address '300.0.0.1'"),
        ("8000-8002:80-81", "differ in length"),
        ("81-80", "invalid container port '81-80'"),
    ],
)
def test_bad_port_specs(spec, message):
    with pytest.raises(InvalidParameter) as caught:
        parse_port_spec(spec)
    assert caught.value.message.startswith(f"invalid port spec {spec!r}: ")
    assert message in caught.value.message


def test_port_bindings_group_by_container_port():
    assert port_bindings(["8080:80", "127.0.0.1:8081:80", "53/udp"]) == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}, {"HostIp": "127.0.0.1", "HostPort": "8081"}],
        "53/udp": [{"HostIp": "", "HostPort": ""}],
    }


@pytest.mark.parametrize(("text", "key"), [("80", "80/tcp"), ("53/udp", "53/udp"), ("080/TCP", "80/tcp")])
def test_port_key(text, key):
    assert port_key(text) == key


@pytest.mark.parametrize("text", ["http", "70000", "80/icmp"])
def test_bad_port_keys(text):
    with pytest.raises(InvalidParameter, match="invalid port"):
        port_key(text)
