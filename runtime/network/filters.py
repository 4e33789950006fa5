"""Filters of `network ls` and `network prune` (moby's names and meanings)."""

import re
from collections.abc import Mapping

from common import rfc3339
from common.durations import go_duration_ns
from runtime.errors import InvalidParameter
from runtime.network.records import NetworkRecord

LIST_FILTERS = frozenset({"name", "id", "driver", "label", "type", "scope", "dangling"})
PRUNE_FILTERS = frozenset({"until", "label", "label!"})

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}
DANGLING_VALUE = """invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")"""
DANGLING_VALUES = 'got more than one value for filter key "dangling"'
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def normalize_filters(filters: Mapping | None, allowed: frozenset[str]) -> dict[str, list[str]]:
    """Accept docker-py's {"k": ["v"]} and the CLI's {"k": {"v": true}}; refuse unknown keys."""
    normalized: dict[str, list[str]] = {}
    for key, values in (filters or {}).items():
        if key not in allowed:
            raise InvalidParameter(f"invalid filter '{key}'")
        if isinstance(values, Mapping):
            normalized[key] = [str(v) for v, on in values.items() if on]
        elif isinstance(values, str):
            normalized[key] = [values]
        else:
            normalized[key] = [str(v) for v in values]
    if normalized.get("dangling"):
        _dangling(normalized["dangling"])  # refused whether or not a network reaches the test, as in moby
    return normalized


def _label_matches(labels: Mapping[str, str], wanted: str) -> bool:
    key, eq, value = wanted.partition("=")
    return key in labels and (not eq or labels[key] == value)


def _dangling(values: list[str]) -> bool:
    """moby's one value of "dangling", spelled exactly "true" or "1", "false" or "0"."""
    if len(values) > 1:
        raise InvalidParameter(DANGLING_VALUES)
    if values[0] in _TRUE:
        return True
    if values[0] in _FALSE:
        return False
    raise InvalidParameter(DANGLING_VALUE)


def matches_list(network: NetworkRecord, in_use: bool, filters: Mapping[str, list[str]]) -> bool:
    """Values of one key are alternatives (any may match); all keys must match."""
    checks = {
        "name": lambda v: v in network.name,
        "id": lambda v: v in network.id,
        "driver": lambda v: v == network.driver,
        "label": lambda v: _label_matches(network.labels, v),
        "scope": lambda v: v == network.scope,
        "type": lambda v: _type_matches(network, v),
        "dangling": lambda v: _dangling([v]) == (not in_use and not network.predefined),
    }
    for key, values in filters.items():
        if key == "label":
            if not all(checks["label"](v) for v in values):  # moby: every label filter must hold
                return False
        elif values and not any(checks[key](v) for v in values):
            return False
    return True


def _type_matches(network: NetworkRecord, value: str) -> bool:
    if value not in ("custom", "builtin"):
        raise InvalidParameter(f"invalid filter: 'type'='{value}'")
    return network.predefined == (value == "builtin")


def parse_until(value: str, now: float) -> float:
    """moby's `until`: a unix timestamp, a Go duration back from now ("24h", "1h30m"), or an RFC 3339 date."""
    if _NUMBER.fullmatch(value):
        return float(value)
    try:
        return now - go_duration_ns(value) / 1e9
    except ValueError:
        pass  # not a duration: a date
    try:
        return rfc3339.parse_ns(value) / 1e9
    except ValueError as exc:
        raise InvalidParameter(f"invalid filter 'until={value}': not a timestamp, date or duration") from exc


def matches_prune(network: NetworkRecord, filters: Mapping[str, list[str]], now: float) -> bool:
    created = rfc3339.parse_ns(network.created) / 1e9
    if any(created >= parse_until(v, now) for v in filters.get("until", [])):
        return False
    if not all(_label_matches(network.labels, v) for v in filters.get("label", [])):
        return False
    return not any(_label_matches(network.labels, v) for v in filters.get("label!", []))
