"""The map's nodes: their ids (Scope's `<id>;<kind>` form), and what each node of each topology shows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from web.topology.report import ContainerFacts, HostFacts, ProcessFacts

OUTSIDE = "outside"


def container_node(container_id: str) -> str:
    return f"{container_id};<container>"


def process_node(host: str, pid: int) -> str:
    return f"{host};{pid}"


def host_node(host: str) -> str:
    return f"{host};<host>"


def image_node(image: str) -> str:
    return f"{image};<container_image>"


def uncontained_node(host: str) -> str:
    return f"{host};<uncontained>"


@dataclass
class Node:
    id: str
    label: str
    label_minor: str
    rank: str  # nodes of one rank are drawn side by side (an image's containers)
    shape: str  # hexagon (container), square (process), circle (host), heptagon (image), cloud (pseudo)
    pseudo: bool = False
    stopped: bool = False
    metadata: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label, value), in order
    metrics: dict[str, float | None] = field(default_factory=dict)  # "cpu" (% of a core), "memory" (bytes)
    parents: list[tuple[str, str, str]] = field(default_factory=list)  # (topology, node id, label)
    adjacency: set[str] = field(default_factory=set)  # the servers it connects to as a client
    children: list[str] = field(default_factory=list)  # ids in the topology named by child_topology
    child_topology: str | None = None
    controls: bool = False  # stop, restart, pause, unpause apply (a container)

    def value(self, field_id: str) -> str | None:
        for key, _, value in self.metadata:
            if key == field_id:
                return value
        return None


def _ago(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{int(seconds)} seconds"


def container_view(c: ContainerFacts, host: str, now: float | None = None) -> Node:
    now = time.time() if now is None else now
    live = c.netns is not None
    status = f"Up {_ago(now - c.started_at)}" if live and c.started_at else c.state
    metadata = [
        ("image", "Image", c.image),
        ("state", "State", c.state),
        ("status", "Status", status),
        ("command", "Command", c.command),
        ("networks", "Networks", ", ".join(sorted({n.network for n in c.networks}))),
        ("ips", "IPs", ", ".join(n.ip for n in c.networks)),
        ("ports", "Ports", ", ".join(f"{p.host_ip}:{p.host_port}->{p.container_port}/{p.proto}" for p in c.ports)),
        ("restarts", "Restarts", str(c.restart_count)),
        ("pid", "PID", str(c.pid) if live else ""),
        ("created", "Created", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(c.created)) if c.created else ""),
        ("id", "ID", c.id[:12]),
        ("host", "Host", host),
    ]
    metadata += [(f"label:{k}", f"Label {k}", v) for k, v in sorted(c.labels.items())]
    return Node(
        id=container_node(c.id),
        label=c.name,
        label_minor=host,
        rank=c.image,
        shape="hexagon",
        stopped=not live,
        metadata=[m for m in metadata if m[2]],
        metrics={"cpu": c.cpu_percent, "memory": c.memory_bytes},
        parents=[("hosts", host_node(host), host), ("containers-by-image", image_node(c.image), c.image)],
        child_topology="processes",
        controls=True,
    )


def process_view(p: ProcessFacts, host: str, container_name: str | None) -> Node:
    metadata = [
        ("pid", "PID", str(p.pid)),
        ("ppid", "Parent PID", str(p.ppid)),
        ("command", "Command", p.cmdline),
        ("threads", "Threads", str(p.threads)),
        ("container", "Container", container_name or ""),
        ("host", "Host", host),
    ]
    parents = [("hosts", host_node(host), host)]
    if p.container is not None:
        parents.insert(0, ("containers", container_node(p.container), container_name or p.container[:12]))
    return Node(
        id=process_node(host, p.pid),
        label=p.name,
        label_minor=f"{container_name or host} ({p.pid})",
        rank=p.container or host,
        shape="square",
        metadata=[m for m in metadata if m[2]],
        metrics={"cpu": p.cpu_percent, "memory": p.rss_bytes},
        parents=parents,
        child_topology="processes",
    )


def host_view(h: HostFacts, containers: int) -> Node:
    metadata = [
        ("hostname", "Hostname", h.hostname),
        ("addresses", "Addresses", ", ".join(h.addresses)),
        ("kernel", "Kernel", h.kernel),
        ("cpus", "CPUs", str(h.cpus or "")),
        ("load", "Load (1, 5, 15 min)", " ".join(f"{v:.2f}" for v in h.load) if h.load else ""),
        ("containers", "Containers", str(containers)),
    ]
    return Node(
        id=host_node(h.id),
        label=h.id,
        label_minor=h.hostname if h.hostname != h.id else "",
        rank="hosts",
        shape="circle",
        metadata=[m for m in metadata if m[2]],
        metrics={"cpu": h.cpu_percent, "memory": h.memory_bytes},
        child_topology="containers",
    )


def image_view(image: str, members: list[Node]) -> Node:
    cpu = [n.metrics["cpu"] for n in members if n.metrics.get("cpu") is not None]
    memory = [n.metrics["memory"] for n in members if n.metrics.get("memory") is not None]
    running = [n for n in members if not n.stopped]
    return Node(
        id=image_node(image),
        label=image,
        label_minor=f"{len(members)} container{'s' if len(members) != 1 else ''}",
        rank=image,
        shape="heptagon",
        stopped=not running,
        metadata=[("image", "Image", image), ("containers", "Containers", str(len(members)))],
        metrics={"cpu": round(sum(cpu), 2) if cpu else None, "memory": sum(memory) if memory else None},
        children=[n.id for n in members],
        child_topology="containers",
    )


def pseudo_view(node_id: str, label: str, minor: str) -> Node:
    return Node(id=node_id, label=label, label_minor=minor, rank=node_id, shape="cloud", pseudo=True)
