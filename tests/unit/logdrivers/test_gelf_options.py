import pytest

from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.gelf.options import parse_options

UDP = {"gelf-address": "udp://graylog:12201"}
TCP = {"gelf-address": "tcp://graylog:12201"}

BAD = [
    ({}, "gelf-address is a required parameter"),
    ({"gelf-address": "graylog:12201"}, "gelf-address should be in form proto://address, got graylog:12201"),
    ({"gelf-address": "http://graylog:12201"}, "gelf: endpoint needs to be TCP or UDP"),
    ({"gelf-address": "udp://graylog"}, "gelf: please provide gelf-address as proto://host:port"),
    ({**TCP, "gelf-compression-type": "gzip"}, "compression is only supported on UDP"),
    ({**TCP, "gelf-compression-level": "1"}, "compression is only supported on UDP"),
    ({**UDP, "gelf-tcp-max-reconnect": "1"}, '"gelf-tcp-max-reconnect" is only valid for TCP'),
    ({**UDP, "gelf-tcp-reconnect-delay": "1"}, '"gelf-tcp-reconnect-delay" is only valid for TCP'),
    ({**UDP, "gelf-compression-type": "lz4"}, 'unknown value "lz4" for log opt "gelf-compression-type" for gelf'),
    ({**UDP, "gelf-compression-level": "10"}, 'unknown value "10" for log opt "gelf-compression-level" for gelf'),
    ({**UDP, "gelf-compression-level": "x"}, 'unknown value "x" for log opt "gelf-compression-level"'),
    ({**TCP, "gelf-tcp-max-reconnect": "-1"}, '"gelf-tcp-max-reconnect" must be a positive integer'),
    ({**TCP, "gelf-tcp-reconnect-delay": "1s"}, '"gelf-tcp-reconnect-delay" must be a positive integer'),
]


@pytest.mark.parametrize(("opts", "text"), BAD)
def test_bad_options_are_refused_with_dockers_text(opts, text):
    with pytest.raises(InvalidLogOpt) as caught:
        parse_options(opts)
    assert text in str(caught.value)
    assert "gelf log driver" in str(caught.value)


def test_unknown_key():
    with pytest.raises(UnknownLogOpt) as caught:
        parse_options({**UDP, "max-size": "1m"})
    assert str(caught.value) == "unknown log opt 'max-size' for gelf log driver"


def test_defaults_and_values():
    udp = parse_options(UDP)
    assert (udp.protocol, udp.host, udp.port, udp.compression, udp.compression_level) == (
        "udp",
        "graylog",
        12201,
        "gzip",
        1,
    )
    tcp = parse_options({**TCP, "gelf-tcp-max-reconnect": "0", "gelf-tcp-reconnect-delay": "5"})
    assert (tcp.protocol, tcp.tcp_max_reconnect, tcp.tcp_reconnect_delay_s) == ("tcp", 0, 5)
    assert parse_options({**UDP, "gelf-compression-type": "none", "gelf-compression-level": "-1"}).compression == "none"
    assert parse_options({"gelf-address": "udp://[::1]:12201"}).host == "::1"
