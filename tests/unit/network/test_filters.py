import pytest

from common.rfc3339 import parse_ns
from runtime.errors import InvalidParameter
from runtime.network.filters import (
    LIST_FILTERS,
    PRUNE_FILTERS,
    matches_list,
    matches_prune,
    normalize_filters,
    parse_until,
)
from runtime.network.records import NetworkRecord

CUSTOM = NetworkRecord(
    "abc123" + "0" * 58, "frontend", "bridge", "2026-01-01T00:00:00.123456789Z", labels={"team": "web", "tier": "1"}
)
BUILTIN = NetworkRecord("def456" + "0" * 58, "bridge", "bridge", "2025-01-01T00:00:00Z", predefined=True)


def test_cli_and_docker_py_filter_forms_are_the_same():
    assert normalize_filters({"name": {"front": True, "x": False}}, LIST_FILTERS) == {"name": ["front"]}
    assert normalize_filters({"name": ["front"]}, LIST_FILTERS) == {"name": ["front"]}


def test_unknown_filter_is_refused():
    with pytest.raises(InvalidParameter) as caught:
        normalize_filters({"color": ["red"]}, LIST_FILTERS)
    assert caught.value.message == "invalid filter 'color'"


@pytest.mark.parametrize(
    ("filters", "custom", "builtin"),
    [
        ({}, True, True),
        ({"name": ["front"]}, True, False),
        ({"name": ["nope", "bri"]}, False, True),
        ({"id": ["abc1"]}, True, False),
        ({"driver": ["bridge"]}, True, True),
        ({"label": ["team"]}, True, False),
        ({"label": ["team=web", "tier=1"]}, True, False),
        ({"label": ["team=web", "tier=2"]}, False, False),
        ({"type": ["custom"]}, True, False),
        ({"type": ["builtin"]}, False, True),
        ({"scope": ["local"]}, True, True),
        ({"scope": ["swarm"]}, False, False),
        ({"dangling": ["true"]}, True, False),
        ({"dangling": ["false"]}, False, True),
    ],
)
def test_list_filters(filters, custom, builtin):
    assert matches_list(CUSTOM, False, filters) is custom
    assert matches_list(BUILTIN, False, filters) is builtin


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["maybe"], """invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")"""),
        (["TRUE"], """invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")"""),
        (["true", "false"], 'got more than one value for filter key "dangling"'),
    ],
)
def test_a_bad_dangling_filter_is_refused_with_dockers_text(values, message):
    with pytest.raises(InvalidParameter) as caught:
        normalize_filters({"dangling": values}, LIST_FILTERS)
    assert caught.value.message == message


def test_a_network_in_use_is_not_dangling():
    assert matches_list(CUSTOM, True, {"dangling": ["true"]}) is False


def test_bad_type_filter():
    with pytest.raises(InvalidParameter):
        matches_list(CUSTOM, False, {"type": ["weird"]})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1700000000", 1700000000.0), ("1h", 10_000 - 3600), ("1h30m", 10_000 - 5400), ("90s", 10_000 - 90)],
)
def test_until_forms(value, expected):
    assert parse_until(value, 10_000.0) == expected


def test_until_as_a_date():
    assert parse_until("2026-01-01T00:00:00Z", 0) == parse_ns("2026-01-01T00:00:00Z") / 1e9


def test_prune_filters():
    created = parse_ns(CUSTOM.created) / 1e9
    assert matches_prune(CUSTOM, normalize_filters({"until": [str(created + 1)]}, PRUNE_FILTERS), created + 10)
    assert not matches_prune(CUSTOM, {"until": [str(created - 1)]}, created + 10)
    assert matches_prune(CUSTOM, {"label": ["team=web"]}, 0)
    assert not matches_prune(CUSTOM, {"label!": ["team"]}, 0)


def test_the_scope_filter_tells_global_networks_from_local_ones():
    overlay = NetworkRecord("fed789" + "0" * 58, "ov", "overlay", "2026-01-01T00:00:00Z", scope="global")
    assert matches_list(overlay, False, {"scope": ["global"]}) and not matches_list(
        CUSTOM, False, {"scope": ["global"]}
    )
    assert not matches_list(overlay, False, {"scope": ["local"]})
