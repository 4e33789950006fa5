"""The `filters` of `volume ls` and `volume prune`, with Docker's semantics and error texts (moby
daemon/volume/service/convert.go, api/types/filters). Filters arrive as {key: [values]}.
"""

import re
from collections.abc import Callable, Mapping, Sequence

from runtime.errors import InvalidParameter
from runtime.volumes.names import ANONYMOUS_LABEL
from runtime.volumes.volume import Volume

Filters = Mapping[str, Sequence[str]]
Predicate = Callable[[Volume], bool]

_LIST_FILTERS = frozenset({"dangling", "name", "driver", "label"})
_PRUNE_FILTERS = frozenset({"label", "label!", "all"})
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def list_predicate(filters: Filters, in_use: Callable[[str], bool]) -> Predicate:
    """Which volumes `volume ls` shows: every filter given must match."""
    _check_keys(filters, _LIST_FILTERS)
    tests: list[Predicate] = [_labels_match(filters)]
    if drivers := filters.get("driver"):
        tests.append(lambda v: v.driver in drivers)
    if "name" in filters:
        patterns = filters["name"]
        tests.append(lambda v: _name_matches(patterns, v.name))
    if "dangling" in filters:
        dangling = _dangling(filters["dangling"])
        tests.append(lambda v: in_use(v.name) != dangling)
    return lambda v: all(test(v) for test in tests)


def prune_predicate(filters: Filters) -> Predicate:
    """Which unused volumes `volume prune` removes: anonymous ones only unless all=true (Docker 23+)."""
    _check_keys(filters, _PRUNE_FILTERS)
    labels_match = _labels_match(filters)
    if _prune_all(filters.get("all", [])):
        return labels_match
    return lambda v: ANONYMOUS_LABEL in (v.labels or {}) and labels_match(v)


def _check_keys(filters: Filters, accepted: frozenset[str]) -> None:
    for key in filters:
        if key not in accepted:
            raise InvalidParameter(f"invalid filter '{key}'")


def _labels_match(filters: Filters) -> Predicate:
    """label: every term matches; label!: the volume is left out when every term matches."""
    wanted, unwanted = filters.get("label", []), filters.get("label!", [])

    def test(v: Volume) -> bool:
        labels = v.labels or {}
        if not _all_terms_match(wanted, labels):
            return False
        return not (unwanted and _all_terms_match(unwanted, labels))

    return test


def _all_terms_match(terms: Sequence[str], labels: Mapping[str, str]) -> bool:
    """Docker's MatchKVList: "key" asks for the label, "key=value" for the label with that value."""
    for term in terms:
        key, has_value, value = term.partition("=")
        if key not in labels or (has_value and labels[key] != value):
            return False
    return True


def _name_matches(patterns: Sequence[str], name: str) -> bool:
    """Docker's Match: a term matches when equal or when, as a regular expression, it is found in the name."""
    for pattern in patterns:
        if pattern == name:
            return True
        try:
            if re.search(pattern, name):
                return True
        except re.error:
            continue  # Docker skips a term that is not a valid expression
    return False


def _dangling(values: Sequence[str]) -> bool:
    lowered = {v.lower() for v in values}
    says_true, says_false = bool(lowered & {"1", "true"}), bool(lowered & {"0", "false"})
    if says_true == says_false:
        raise InvalidParameter(f"invalid filter 'dangling={','.join(values)}'")
    return says_true


def _prune_all(values: Sequence[str]) -> bool:
    if len(values) > 1:
        raise InvalidParameter(f"invalid filter 'all=[{' '.join(values)}]': only one value is expected")
    if not values:
        return False
    if values[0] in _GO_TRUE:
        return True
    if values[0] in _GO_FALSE:
        return False
    why = f'strconv.ParseBool: parsing "{values[0]}": invalid syntax'
    raise InvalidParameter(f"invalid filter 'all': {why}")
