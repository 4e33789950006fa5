"""The four topologies (containers, containers by image, processes, hosts) from the hosts' reports and the
connections joined from them: nodes, and edges client -> server, each edge with its connections.

A graph is rendered whole (no filter) and cached by the collector; options (web.topology.options) and
searches then narrow a copy, so a node's details can be found even while a filter hides it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from web.topology.joining import Connection, End
from web.topology.nodes import (
    OUTSIDE,
    Node,
    container_node,
    container_view,
    host_node,
    host_view,
    image_node,
    image_view,
    process_node,
    process_view,
    pseudo_view,
    uncontained_node,
)
from web.topology.report import Report


@dataclass(frozen=True, slots=True)
class TopologySpec:
    id: str
    name: str
    rank: int


TOPOLOGIES = {
    spec.id: spec
    for spec in (
        TopologySpec("containers", "Containers", 1),
        TopologySpec("containers-by-image", "Containers by image", 2),
        TopologySpec("processes", "Processes", 3),
        TopologySpec("hosts", "Hosts", 4),
    )
}


@dataclass
class Graph:
    topology: str
    nodes: dict[str, Node]
    edges: dict[tuple[str, str], list[Connection]] = field(default_factory=dict)

    def link(self, client: str, server: str, connection: Connection) -> None:
        self.edges.setdefault((client, server), []).append(connection)
        self.nodes[client].adjacency.add(server)


@dataclass
class Inventory:
    """The nodes of every topology before any edge, and which container each id names."""

    containers: dict[str, Node] = field(default_factory=dict)
    images: dict[str, Node] = field(default_factory=dict)
    processes: dict[str, Node] = field(default_factory=dict)
    hosts: dict[str, Node] = field(default_factory=dict)
    image_of: dict[str, str] = field(default_factory=dict)  # container id -> image


def inventory(reports: Iterable[Report], now: float) -> Inventory:
    inv = Inventory()
    members: dict[str, list[Node]] = {}
    for report in sorted(reports, key=lambda r: r.host.id):
        host = report.host.id
        names = {c.id: c.name for c in report.containers}
        host_containers = []
        for c in report.containers:
            node = container_view(c, host, now)
            inv.containers[node.id] = node
            inv.image_of[c.id] = c.image
            members.setdefault(c.image, []).append(node)
            host_containers.append(node.id)
        children: dict[int, list[str]] = {}
        for p in report.processes:
            node = process_view(p, host, names.get(p.container) if p.container else None)
            inv.processes[node.id] = node
            children.setdefault(p.ppid, []).append(node.id)
            if p.container is not None and (owner := inv.containers.get(container_node(p.container))):
                owner.children.append(node.id)
        for p in report.processes:
            inv.processes[process_node(host, p.pid)].children = children.get(p.pid, [])
        node = host_view(report.host, len(report.containers))
        node.children = host_containers
        inv.hosts[node.id] = node
    for image, nodes in members.items():
        inv.images[image_node(image)] = image_view(image, nodes)
    return inv


def _end_node(topology: str, end: End, inv: Inventory) -> str | None:
    if end.outside is not None:
        return OUTSIDE
    if topology == "hosts":
        return host_node(end.host)
    if topology == "processes":
        return process_node(end.host, end.pid) if end.pid is not None else None
    if end.container is None:
        return uncontained_node(end.host)
    if topology == "containers-by-image":
        image = inv.image_of.get(end.container)
        return image_node(image) if image is not None else None
    return container_node(end.container)


def _pseudo(node_id: str) -> Node:
    if node_id == OUTSIDE:
        return pseudo_view(OUTSIDE, "Outside", "beyond every known network")
    host = node_id.rpartition(";")[0]
    return pseudo_view(node_id, "Uncontained", host)


_NODES: dict[str, Callable[[Inventory], dict[str, Node]]] = {
    "containers": lambda inv: inv.containers,
    "containers-by-image": lambda inv: inv.images,
    "processes": lambda inv: inv.processes,
    "hosts": lambda inv: inv.hosts,
}


def render(topology: str, inv: Inventory, found: Iterable[Connection]) -> Graph:
    """One topology's graph. The inventory's nodes are copied: each graph has adjacency of its own."""
    nodes = {node_id: _copy(node) for node_id, node in _NODES[topology](inv).items()}
    graph = Graph(topology, nodes)
    for connection in found:
        client = _end_node(topology, connection.client, inv)
        server = _end_node(topology, connection.server, inv)
        if client is None or server is None or client == server:
            continue  # inside one node (or a process no probe could name)
        for node_id in (client, server):
            if node_id not in nodes:
                if node_id == OUTSIDE or node_id.endswith(";<uncontained>"):
                    nodes[node_id] = _pseudo(node_id)
                else:
                    break  # a process or container that left between two reads
        else:
            graph.link(client, server, connection)
    return graph


def _copy(node: Node) -> Node:
    return Node(**{**node.__dict__, "adjacency": set()})
