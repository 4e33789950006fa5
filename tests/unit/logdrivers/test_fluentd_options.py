import pytest

from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.fluentd.options import FluentdAddress, parse_options

ADDRESSES = [
    ("", FluentdAddress("tcp", "127.0.0.1", 24224)),
    ("fluent", FluentdAddress("tcp", "fluent", 24224)),
    ("fluent:1234", FluentdAddress("tcp", "fluent", 1234)),
    ("tcp://fluent:1234", FluentdAddress("tcp", "fluent", 1234)),
    ("tcp://:1234", FluentdAddress("tcp", "127.0.0.1", 1234)),
    ("tls://fluent", FluentdAddress("tls", "fluent", 24224)),
    ("tcp://[::1]:99", FluentdAddress("tcp", "::1", 99)),
    ("unix:///run/fluent.sock", FluentdAddress("unix", path="/run/fluent.sock")),
    ("unix:///some/socket.sock:80", FluentdAddress("unix", path="/some/socket.sock:80")),
]


@pytest.mark.parametrize(("address", "expected"), ADDRESSES)
def test_addresses_as_docker_parses_them(address, expected):
    assert parse_options({"fluentd-address": address}).address == expected


BAD = [
    ({"fluentd-address": "unix://"}, "invalid fluentd-address (unix://): path is empty"),
    ({"fluentd-address": "udp://h:1"}, "invalid fluentd-address (udp://h:1): unsupported scheme: 'udp'"),
    ({"fluentd-address": "tcp://h:1/p"}, "should not contain a path element"),
    ({"fluentd-address": "h:1/p"}, "should not contain a path element"),
    ({"fluentd-address": "tcp://h:port"}, 'invalid port ":port" after host'),
    ({"fluentd-address": "tcp://h:65536"}, 'invalid port: strconv.ParseUint: parsing "65536": value out of range'),
    ({"fluentd-buffer-limit": "1x"}, "invalid suffix: 'x'"),
    ({"fluentd-retry-wait": "soon"}, 'time: invalid duration "soon"'),
    ({"fluentd-retry-wait": "10"}, 'time: missing unit in duration "10"'),
    ({"fluentd-max-retries": "-1"}, 'strconv.ParseUint: parsing "-1": invalid syntax'),
    ({"fluentd-max-retries": "3000000000"}, "invalid fluentd-max-retries: value out of range"),
    ({"fluentd-async": "yes"}, 'strconv.ParseBool: parsing "yes": invalid syntax'),
    ({"fluentd-sub-second-precision": "2"}, 'strconv.ParseBool: parsing "2": invalid syntax'),
    ({"fluentd-request-ack": "no"}, 'strconv.ParseBool: parsing "no": invalid syntax'),
    (
        {"fluentd-async-reconnect-interval": "50ms"},
        'invalid value for fluentd-async-reconnect-interval: value ("50ms") must be between 100ms and 10s',
    ),
    ({"fluentd-async-reconnect-interval": "11s"}, 'value ("11s") must be between 100ms and 10s'),
    ({"fluentd-write-timeout": "1"}, "invalid value for fluentd-write-timeout: value must be a duration: time:"),
    ({"fluentd-read-timeout": "-1s"}, "invalid value for fluentd-read-timeout: value must be a duration that is"),
    ({"tag": "{{.Nope}}"}, "can't evaluate field .Nope"),
    ({"labels-regex": "("}, "invalid regular expression"),
]


@pytest.mark.parametrize(("opts", "text"), BAD)
def test_bad_values_are_refused_with_dockers_text(opts, text):
    with pytest.raises(InvalidLogOpt) as caught:
        parse_options(opts)
    assert text in str(caught.value)
    assert caught.value.key == next(iter(opts))
    assert "fluentd log driver" in str(caught.value)


def test_unknown_keys_are_refused_before_values():
    with pytest.raises(UnknownLogOpt) as caught:
        parse_options({"fluentd-async-connect": "true", "fluentd-address": "udp://x"})
    assert str(caught.value) == "unknown log opt 'fluentd-async-connect' for fluentd log driver"


def test_values_and_defaults():
    options = parse_options({})
    assert (options.buffer_limit, options.retry_wait_s, options.max_retries) == (1048576, 1.0, 2**31 - 1)
    assert not options.sub_second_precision and not options.request_ack and options.tag.source == "{{.ID}}"
    options = parse_options(
        {
            "fluentd-buffer-limit": "2k",
            "fluentd-retry-wait": "1.5s",
            "fluentd-max-retries": "7",
            "fluentd-async": "true",
            "fluentd-async-reconnect-interval": "0",
            "fluentd-sub-second-precision": "T",
            "fluentd-request-ack": "1",
            "fluentd-write-timeout": "100ms",
            "fluentd-read-timeout": "1m",
        }
    )
    assert (options.buffer_limit, options.retry_wait_s, options.max_retries) == (2048, 1.5, 7)
    assert options.async_ and options.sub_second_precision and options.request_ack
    assert (options.reconnect_interval_s, options.write_timeout_s, options.read_timeout_s) == (0.0, 0.1, 60.0)
