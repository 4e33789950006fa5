"""Each topology's filters, as Scope's API declares them (`options` in /api/topology), parsed once from the
query string and applied to a rendered graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from web.errors import InvalidOption
from web.topology.render import Graph


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    default: str
    choices: tuple[tuple[str, str], ...]  # (value, label)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "defaultValue": self.default,
            "selectType": "one",
            "options": [{"value": v, "label": label} for v, label in self.choices],
        }


STOPPED = Option("stopped", "hide", (("hide", "Running"), ("show", "Running and stopped")))
UNCONTAINED = Option("uncontained", "show", (("show", "Show uncontained"), ("hide", "Hide uncontained")))
UNCONNECTED = Option("unconnected", "hide", (("hide", "Connected only"), ("show", "Show unconnected")))

OPTIONS: dict[str, tuple[Option, ...]] = {
    "containers": (STOPPED, UNCONTAINED),
    "containers-by-image": (STOPPED, UNCONTAINED),
    "processes": (UNCONNECTED,),
    "hosts": (),
}


def parse_options(topology: str, query: Mapping[str, str]) -> dict[str, str]:
    """The topology's options from the query (defaults for those absent); other parameters are not ours.

    :raise InvalidOption: for a value the option does not offer.
    """
    chosen = {}
    for option in OPTIONS[topology]:
        value = query.get(option.id, option.default)
        allowed = [v for v, _ in option.choices]
        if value not in allowed:
            raise InvalidOption(
                f"topology: invalid option {option.id}={value!r} for {topology}: expected one of {', '.join(allowed)}"
            )
        chosen[option.id] = value
    return chosen


def apply_options(graph: Graph, chosen: Mapping[str, str]) -> set[str]:
    """The ids of the nodes the options keep."""
    keep = set(graph.nodes)
    if chosen.get("stopped") == "hide":
        keep -= {node_id for node_id, node in graph.nodes.items() if node.stopped}
    if chosen.get("uncontained") == "hide":
        keep -= {node_id for node_id in graph.nodes if node_id.endswith(";<uncontained>")}
    if chosen.get("unconnected") == "hide":
        keep &= connected(graph)
    return keep


def connected(graph: Graph) -> set[str]:
    """Nodes with at least one edge (in or out)."""
    return {node_id for edge in graph.edges for node_id in edge}
