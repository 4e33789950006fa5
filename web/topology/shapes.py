"""The JSON the map's API answers with, shaped like Scope's: NodeSummary for the topology's nodes, and the
detailed node (metrics with samples, inbound and outbound connections, children, controls)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from web.topology.nodes import Node
from web.topology.render import Graph

_METRICS = (("cpu", "CPU", "percent", 1), ("memory", "Memory", "filesize", 2))
_ACTIONS_BY_STATE = {"running": ("stop", "restart", "pause"), "paused": ("unpause", "stop"), "exited": ("restart",)}


def summary(node: Node, keep: Iterable[str] | None = None) -> dict[str, Any]:
    """A node as /api/topology/<id> lists it; adjacency only to the nodes in `keep` (the shown ones)."""
    adjacency = sorted(node.adjacency if keep is None else node.adjacency.intersection(keep))
    return {
        "id": node.id,
        "label": node.label,
        "labelMinor": node.label_minor,
        "rank": node.rank,
        "shape": node.shape,
        "pseudo": node.pseudo,
        "stopped": node.stopped,
        "metadata": [
            {"id": key, "label": label, "value": value, "priority": i + 1}
            for i, (key, label, value) in enumerate(node.metadata)
        ],
        "metrics": [
            {"id": key, "label": label, "format": fmt, "value": node.metrics[key], "priority": priority}
            for key, label, fmt, priority in _METRICS
            if node.metrics.get(key) is not None
        ],
        "parents": [
            {"id": node_id, "label": label, "topologyId": topology} for topology, node_id, label in node.parents
        ],
        "adjacency": adjacency,
    }


def details(
    graph: Graph,
    node: Node,
    samples: Callable[[str, str], list[tuple[float, float]]],
    children: Graph | None,
    controls: bool,
) -> dict[str, Any]:
    body = summary(node)
    for metric in body["metrics"]:
        kept = samples(node.id, metric["id"])
        metric["samples"] = [{"date": t, "value": v} for t, v in kept]
        values = [v for _, v in kept] or [metric["value"]]
        metric["min"], metric["max"] = min(values), max(values)
    body["connections"] = [
        _connections(graph, node, "incoming-connections", "Inbound", inbound=True),
        _connections(graph, node, "outgoing-connections", "Outbound", inbound=False),
    ]
    body["children"] = [] if children is None or not node.children else [_children(node, children)]
    state = node.value("state") or ""
    actions = _ACTIONS_BY_STATE.get(state, ()) if node.controls and controls else ()
    body["controls"] = [{"id": action, "human": action.capitalize()} for action in actions]
    body["topologyId"] = graph.topology
    return body


def _connections(graph: Graph, node: Node, table_id: str, label: str, *, inbound: bool) -> dict[str, Any]:
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for (client, server), found in graph.edges.items():
        if (server if inbound else client) != node.id:
            continue
        peer = graph.nodes[client if inbound else server]
        for c in found:
            row = rows.get((peer.id, c.port))
            if row is None:
                row = rows[(peer.id, c.port)] = {
                    "nodeId": peer.id,
                    "label": peer.label,
                    "labelMinor": peer.label_minor,
                    "port": c.port,
                    "count": 0,
                    "dialled": set(),
                    "remote": set(),
                }
            row["count"] += 1
            if c.dialled:
                row["dialled"].add(c.dialled)
            outside = c.client.outside if inbound else c.server.outside
            if outside:
                row["remote"].add(outside)
    for row in rows.values():
        row["dialled"] = sorted(row["dialled"])
        row["remote"] = sorted(row["remote"])
    return {
        "id": table_id,
        "label": label,
        "topologyId": graph.topology,
        "columns": [{"id": "port", "label": "Port"}, {"id": "count", "label": "Count"}],
        "connections": sorted(rows.values(), key=lambda r: (r["label"], r["port"])),
    }


def _children(node: Node, children: Graph) -> dict[str, Any]:
    rows = []
    for child_id in node.children:
        child = children.nodes.get(child_id)
        if child is None:
            continue
        rows.append(
            {
                "id": child.id,
                "label": child.label,
                "labelMinor": child.label_minor,
                "pid": child.value("pid"),
                "command": child.value("command") or "",
                "cpu": child.metrics.get("cpu"),
                "memory": child.metrics.get("memory"),
            }
        )
    label = {"processes": "Processes", "containers": "Containers"}.get(children.topology, children.topology)
    return {"id": children.topology, "label": label, "topologyId": children.topology, "nodes": rows}
