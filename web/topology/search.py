"""The map's search, after Scope's: every term must match (AND).

    web                 a part of the label, the minor label, the id or any metadata value
    image: nginx        a part of one metadata field (image, state, command, pid, host, ips, ports, ...)
    label: tier=front   a container label, by key or key=value
    web|db              alternatives, in any term
    cpu > 4%            a metric against a number: cpu in % of one core; memory in bytes, with the
    memory >= 100MB     units K/KB/KiB, M/MB/MiB, G/GB/GiB (all powers of 1024, as `docker stats`)

Case is ignored. Parsed once into a frozen Search; :raise InvalidSearch: naming the term and the reason.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from web.topology.errors import InvalidSearch
from web.topology.nodes import Node

_TERM = re.compile(
    r"\s*(?:(?P<metric>[a-z_]+)\s*(?P<op><=|>=|<|>|=)\s*(?P<number>\S+)"
    r'|(?P<field>[a-z_]+)\s*:\s*(?P<value>"[^"]*"|\S+)'
    r"|(?P<word>\S+))",
    re.IGNORECASE,
)
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
}
_METRICS = {"cpu": "cpu", "memory": "memory", "mem": "memory"}
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z%]*)$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    **{
        suffix: 1024**power
        for power, letter in enumerate("kmgt", start=1)
        for suffix in (letter, letter + "b", letter + "ib")
    },
}


@dataclass(frozen=True, slots=True)
class MetricTerm:
    metric: str
    op: str
    number: float

    def matches(self, node: Node) -> bool:
        value = node.metrics.get(self.metric)
        return value is not None and _OPERATORS[self.op](value, self.number)


@dataclass(frozen=True, slots=True)
class FieldTerm:
    field: str  # "" for a free word
    alternatives: tuple[str, ...]  # lower case

    def matches(self, node: Node) -> bool:
        return any(self._matches(text, node) for text in self.alternatives)

    def _matches(self, text: str, node: Node) -> bool:
        if self.field == "":
            haystack = [node.label, node.label_minor, node.id, *(value for _, _, value in node.metadata)]
        elif self.field in ("label", "labels"):
            haystack = [f"{key[6:]}={value}" for key, _, value in node.metadata if key.startswith("label:")]
        elif self.field == "name":
            haystack = [node.label]
        else:
            haystack = [value for key, _, value in node.metadata if key == self.field]
        return any(text in item.lower() for item in haystack)


@dataclass(frozen=True, slots=True)
class Search:
    text: str
    terms: tuple[MetricTerm | FieldTerm, ...]

    def matches(self, node: Node) -> bool:
        return all(term.matches(node) for term in self.terms)


def parse_search(text: str) -> Search:
    terms: list[MetricTerm | FieldTerm] = []
    for m in _TERM.finditer(text.strip()):
        if m.group("metric"):
            terms.append(_metric_term(m.group(0).strip(), m.group("metric"), m.group("op"), m.group("number")))
        elif m.group("field"):
            value = m.group("value").strip('"')
            terms.append(FieldTerm(m.group("field").lower(), _alternatives(value, m.group(0).strip())))
        elif m.group("word"):
            terms.append(FieldTerm("", _alternatives(m.group("word"), m.group("word"))))
    return Search(text, tuple(terms))


def _alternatives(value: str, term: str) -> tuple[str, ...]:
    found = tuple(v.lower() for v in value.split("|") if v)
    if not found:
        raise InvalidSearch(f"topology: invalid search term {term!r}: nothing to look for")
    return found


def _metric_term(term: str, name: str, op: str, number_text: str) -> MetricTerm:
    metric = _METRICS.get(name.lower())
    if metric is None:
        raise InvalidSearch(f"topology: invalid search term {term!r}: {name!r} is not a metric (cpu, memory)")
    m = _NUMBER.match(number_text)
    if m is None:
        raise InvalidSearch(f"topology: invalid search term {term!r}: {number_text!r} is not a number")
    number, unit = float(m.group(1)), m.group(2).lower()
    if metric == "cpu":
        if unit not in ("", "%"):
            raise InvalidSearch(f"topology: invalid search term {term!r}: cpu is in % of one core, not {unit!r}")
        return MetricTerm(metric, op, number)
    scale = _SIZE_UNITS.get(unit)
    if scale is None:
        raise InvalidSearch(f"topology: invalid search term {term!r}: unknown size unit {unit!r} (use KB, MB, GB)")
    return MetricTerm(metric, op, number * scale)
