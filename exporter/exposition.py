"""The Prometheus text format (0.0.4) of the container series, written straight from a MetricSpec table.

Why not prometheus_client's families and generate_latest: at 500 containers a scrape holds about 20,000
series, and building a family object per metric plus generate_latest's per-sample escaping costs about
150 ms here, more than reading every counter from cgroupfs. Each container's label set is escaped once,
at discovery, and a series line is then one string concatenation. The exporter's own few metrics still go
through prometheus_client (exporter/self_metrics.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from exporter.targets import Target

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

MetricType = Literal["counter", "gauge", "untyped"]
# A sample's value (None: no series), or with extra labels its (extra label values, value) pairs
Values = Callable[[Any], "float | None | Iterable[tuple[tuple[str, ...], float]]"]

_NOT_A_LABEL_CHAR = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric of the table: its name (with the _total of a counter), help, type, the labels it adds to
    the container's, and how to get its values from a sample: without extra labels `values(sample)` is one
    number or None (most metrics, so the common case costs one call per container); with extra labels it is
    an iterable of (extra label values, value) pairs."""

    name: str
    help: str
    type: MetricType
    values: Values
    extra_labels: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"# HELP {self.name} {escape_help(self.help)}\n# TYPE {self.name} {self.type}\n"


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape(value: str) -> str:
    """A label value as the text format wants it."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def label_name(key: str) -> str:
    """cAdvisor's label name for a container label: com.docker.compose.project ->
    container_label_com_docker_compose_project."""
    return "container_label_" + _NOT_A_LABEL_CHAR.sub("_", key)


def base_labels(targets: Sequence[Target]) -> list[str]:
    """The escaped label set of each target's series, in order.

    As cAdvisor, every series carries the union of the label names of all targets (an absent label is "");
    two keys that sanitize to one name (a.b and a_b) share it, the first key in sorted order that the
    container has giving the value.
    """
    keys_by_name: dict[str, list[str]] = {}
    for key in sorted({key for t in targets for key in t.labels}):
        keys_by_name.setdefault(label_name(key), []).append(key)
    out = []
    for t in targets:
        parts = [f'id="{escape(t.id)}"', f'image="{escape(t.image)}"', f'name="{escape(t.name)}"']
        for name, keys in keys_by_name.items():
            value = next((t.labels[k] for k in keys if k in t.labels), "")
            parts.append(f'{name}="{escape(value)}"')
        out.append(",".join(parts))
    return out


class Renderer:
    """Writes MetricSpec families for a list of (label text, sample) pairs. Keeps the escaped fragments of
    the extra labels (",cpu=\\"cpu00\\"", ",interface=\\"eth0\\"") between scrapes: they repeat."""

    _FRAGMENTS_KEPT = 4096  # interfaces, devices and CPUs are few; a bound keeps a pathological host safe

    def __init__(self) -> None:
        self._fragments: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}

    def family(self, spec: MetricSpec, rows: Iterable[tuple[str, Any]], out: list[str]) -> None:
        out.append(spec.header)
        name, values, append = spec.name, spec.values, out.append
        if not spec.extra_labels:
            for labels, sample in rows:
                value = values(sample)
                if value is not None:
                    append(f"{name}{{{labels}}} {value}\n")
            return
        names = spec.extra_labels
        for labels, sample in rows:
            for extra, value in values(sample):
                append(f"{name}{{{labels}{self._fragment(names, extra)}}} {value}\n")

    def _fragment(self, names: tuple[str, ...], values: tuple[str, ...]) -> str:
        key = (names, values)
        found = self._fragments.get(key)
        if found is None:
            if len(self._fragments) >= self._FRAGMENTS_KEPT:
                self._fragments.clear()
            found = "".join(f',{n}="{escape(v)}"' for n, v in zip(names, values, strict=True))
            self._fragments[key] = found
        return found
