import pytest

from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.syslog.options import parse_options

BAD = [
    ({"syslog-address": "http://collector:514"}, "syslog-address", "unsupported scheme: 'http'"),
    ({"syslog-address": "tcp://a:b:c"}, "syslog-address", "address a:b:c: too many colons in address"),
    ({"syslog-address": "tcp://collector:port"}, "syslog-address", 'invalid port ":port" after host'),
    ({"syslog-address": "unix:///no/such.sock"}, "syslog-address", "stat /no/such.sock: no such file or directory"),
    ({"syslog-facility": "mailer"}, "syslog-facility", "invalid syslog facility"),
    ({"syslog-facility": "24"}, "syslog-facility", "invalid syslog facility"),
    ({"syslog-format": "rfc5425"}, "syslog-format", "invalid syslog format"),
    (
        {"syslog-address": "tcp+tls://collector:6514", "syslog-tls-ca-cert": "/no/ca.pem"},
        "syslog-tls-ca-cert",
        'Could not read CA certificate "/no/ca.pem"',
    ),
    ({"tag": "{{.Nope}}"}, "tag", "Nope"),
]


@pytest.mark.parametrize(("opts", "key", "text"), BAD)
def test_bad_options_are_refused_with_dockers_text(opts, key, text):
    with pytest.raises(InvalidLogOpt) as caught:
        parse_options(opts)
    assert caught.value.key == key
    assert text in str(caught.value) and "syslog log driver" in str(caught.value)


def test_unknown_key_has_dockers_exact_text():
    with pytest.raises(UnknownLogOpt) as caught:
        parse_options({"syslog-port": "514"})
    assert str(caught.value) == "unknown log opt 'syslog-port' for syslog log driver"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("", ("", "", 514, "")),
        ("udp://collector", ("udp", "collector", 514, "")),
        ("tcp://10.0.0.1:1514", ("tcp", "10.0.0.1", 1514, "")),
        ("tcp+tls://[::1]:6514", ("tcp+tls", "::1", 6514, "")),
        ("udp://[fe80::1]", ("udp", "fe80::1", 514, "")),
    ],
)
def test_addresses_default_to_port_514(address, expected):
    opts = {"syslog-address": address, "syslog-tls-skip-verify": ""} if address else {}
    parsed = parse_options(opts)
    assert (parsed.protocol, parsed.host, parsed.port, parsed.path) == expected


def test_unix_sockets_must_exist(tmp_path):
    path = tmp_path / "log.sock"
    path.touch()
    assert parse_options({"syslog-address": f"unixgram://{path}"}).path == str(path)
    assert parse_options({"syslog-address": f"unix://{path}"}).protocol == "unix"


@pytest.mark.parametrize(("text", "code"), [("", 3), ("kern", 0), ("authpriv", 10), ("local7", 23), ("19", 19)])
def test_facilities_by_name_or_number(text, code):
    assert parse_options({"syslog-facility": text} if text else {}).facility == code


def test_skip_verify_is_set_by_the_keys_presence_whatever_its_value():
    # Docker: `_, skipVerify := cfg["syslog-tls-skip-verify"]`
    opts = {"syslog-address": "tcp+tls://collector:6514", "syslog-tls-skip-verify": "false"}
    assert parse_options(opts).tls.skip_verify is True


def test_labels_and_env_are_accepted_as_docker_accepts_them():
    parsed = parse_options(
        {"labels": "a,b", "env": "HOME", "labels-regex": "^x", "env-regex": "^P", "tag": "{{.Name}}"}
    )
    assert parsed.attrs.labels == ("a", "b")
