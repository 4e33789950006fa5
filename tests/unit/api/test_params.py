"""Query parameters read as moby reads them."""

from urllib.parse import parse_qs

import pytest

from runtime.api import params
from runtime.api.http import Request
from runtime.errors import InvalidParameter


def _req(query: str) -> Request:
    return Request("GET", "/x", "1.47", parse_qs(query, keep_blank_values=True), handler=None)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("all=1", True),
        ("all=true", True),
        ("all=True", True),
        ("all=yes", True),
        ("all=anything", True),
        ("all=0", False),
        ("all=false", False),
        ("all=FALSE", False),
        ("all=no", False),
        ("all=none", False),
        ("all=", False),
        ("", False),
    ],
)
def test_flag_follows_mobys_bool_value(query, expected):
    assert params.flag(_req(query), "all") is expected


def test_flag_default_applies_only_when_absent():
    assert params.flag(_req(""), "stream", default=True) is True
    assert params.flag(_req("stream=0"), "stream", default=True) is False


@pytest.mark.parametrize(("query", "expected"), [("t=5", 5), ("t=-1", -1), ("t=", None), ("", None), ("t=1&t=2", 2)])
def test_integer(query, expected):
    assert params.integer(_req(query), "t") == expected


def test_integer_refuses_a_word():
    with pytest.raises(InvalidParameter) as refused:
        params.integer(_req("t=ten"), "t")
    assert str(refused.value) == "invalid value for t: 'ten' is not an integer"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"status": {"running": true}}', {"status": ["running"]}),  # the CLI's form
        ('{"status": ["running", "exited"]}', {"status": ["running", "exited"]}),  # docker-py's form
        ('{"label": {"a=b": true, "c": false}}', {"label": ["a=b"]}),
        ('{"name": "web"}', {"name": ["web"]}),
        ('{"exited": [0, 1]}', {"exited": ["0", "1"]}),
        ("", {}),
    ],
)
def test_filters_in_both_clients_forms(raw, expected):
    req = _req("")
    req.query = {"filters": [raw]} if raw else {}
    assert params.filters(req) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [("{not json", "invalid filters"), ("[1, 2]", "expected a JSON object"), ('{"a": 5}', "must be a list")],
)
def test_bad_filters_are_refused(raw, message):
    req = _req("")
    req.query = {"filters": [raw]}
    with pytest.raises(InvalidParameter) as refused:
        params.filters(req)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("query", "ns"),
    [
        ("since=1714557600.123456789", 1714557600_123456789),  # the CLI's "<s>.<ns>": exact, no float rounding
        ("since=1714557600.5", 1714557600_500000000),
        ("since=1714557600", 1714557600_000000000),
        ("since=1.5e9", 1500000000_000000000),  # anything else a float reads, as docker-py may send
        ("since=", None),
        ("", None),
    ],
)
def test_unix_ns_keeps_every_nanosecond(query, ns):
    assert params.unix_ns(_req(query), "since") == ns


def test_unix_ns_refuses_what_is_not_a_time():
    with pytest.raises(InvalidParameter, match="invalid value for since: 'yesterday' is not a unix timestamp"):
        params.unix_ns(_req("since=yesterday"), "since")
