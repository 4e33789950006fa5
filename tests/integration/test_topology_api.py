"""The map's API against a real daemon: containers that talk (a client by name on a user-defined network,
a client through a published port) and one that does not; exactly their edges, client -> server, the
processes behind each end, their metrics, and a removed container gone from the next report."""

import pytest

from tests.support.topology import (
    CLIENT,
    IDLE,
    PUBLISHED_CLIENT,
    SERVER,
    by_label,
    map_app,
    start_talking,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

OURS = {CLIENT, IDLE, PUBLISHED_CLIENT, SERVER}


@pytest.fixture(scope="module")
def talking(daemon):
    client = daemon.client()
    try:
        yield start_talking(client, daemon.bip.split("/")[0])
    finally:
        daemon.remove_everything()
        client.close()


@pytest.fixture(scope="module")
def topology(daemon, talking):
    app = map_app(daemon.host)
    try:
        yield app
    finally:
        app.close()


def containers(topology) -> dict[str, dict]:
    topology.report()
    return {label: node for label, node in by_label(topology.nodes("containers")).items() if label in OURS}


def edges_settled(topology):
    """The containers once both clients' connections are seen (the clients need a moment to dial)."""
    found = containers(topology)
    if set(found) != OURS or any(not found[name]["adjacency"] for name in (CLIENT, PUBLISHED_CLIENT)):
        return None
    return found


def test_exactly_the_edges_client_to_server(topology, talking):
    found = wait_for(lambda: edges_settled(topology), 30, interval=0.5, what="both clients' edges")
    server = found[SERVER]["id"]
    assert found[CLIENT]["adjacency"] == [server]
    assert found[PUBLISHED_CLIENT]["adjacency"] == [server]
    assert found[SERVER]["adjacency"] == []
    assert found[IDLE]["adjacency"] == []
    everyone = by_label(topology.nodes("containers"))
    assert [label for label, node in everyone.items() if found[IDLE]["id"] in node["adjacency"]] == []


def test_the_server_details_list_both_clients_on_port_80(topology, talking):
    wait_for(lambda: edges_settled(topology), 30, interval=0.5, what="both clients' edges")
    server = containers(topology)[SERVER]
    details = topology.node("containers", server["id"])
    inbound = {row["label"]: row for row in details["connections"][0]["connections"]}
    assert set(inbound) == {CLIENT, PUBLISHED_CLIENT}
    assert inbound[CLIENT]["port"] == inbound[PUBLISHED_CLIENT]["port"] == 80
    # the published client dialled the host's address and port, and reached the container behind it
    assert inbound[PUBLISHED_CLIENT]["dialled"] == [f"{talking.gateway}:{talking.published_port}"]
    assert details["connections"][1]["connections"] == []
    assert "httpd" in [row["label"] for row in details["children"][0]["nodes"]]
    meta = {m["id"]: m["value"] for m in details["metadata"]}
    assert meta["ports"] == f"0.0.0.0:{talking.published_port}->80/tcp"
    assert meta["networks"] == "topo-net"


def test_the_process_behind_each_end(topology, talking):
    def process_edges():
        topology.report()
        nodes = topology.nodes("processes")
        pairs = set()
        for node in nodes.values():
            parent = {p["topologyId"]: p["label"] for p in node["parents"]}.get("containers")
            for server_id in node["adjacency"]:
                server = nodes[server_id]
                server_parent = {p["topologyId"]: p["label"] for p in server["parents"]}.get("containers")
                pairs.add((parent, node["label"], server_parent, server["label"]))
        wanted = {(CLIENT, "nc", SERVER, "httpd"), (PUBLISHED_CLIENT, "nc", SERVER, "httpd")}
        return pairs if wanted <= pairs else None

    pairs = wait_for(process_edges, 30, interval=0.5, what="nc -> httpd in the processes topology")
    assert {pair for pair in pairs if IDLE in (pair[0], pair[2])} == set()


def test_metrics_and_metadata(topology, talking):
    topology.report()

    def settled_with_cpu():
        """CPU is a rate: the map has one once the dashboard's sampler has read a container twice (it ticks
        every second), however quickly the test asks for reports."""
        found = edges_settled(topology)
        if found is None or any(all(m["id"] != "cpu" for m in found[name]["metrics"]) for name in OURS):
            return None
        return found

    found = wait_for(settled_with_cpu, 30, interval=0.5, what="both clients' edges and every container's CPU")
    for name in OURS:
        metrics = {m["id"]: m["value"] for m in found[name]["metrics"]}
        assert metrics["memory"] > 0, name
        assert metrics["cpu"] >= 0, name
        meta = {m["id"]: m["value"] for m in found[name]["metadata"]}
        assert meta["image"] == "busybox" and meta["state"] == "running"

    def cpu_samples():
        topology.report()
        metrics = topology.node("containers", found[CLIENT]["id"])["metrics"]
        samples = next(m for m in metrics if m["id"] == "cpu")["samples"]
        return samples if len(samples) >= 2 else None

    # the sparkline's points: one a second at most, whatever the number of reports
    samples = wait_for(cpu_samples, 15, interval=0.6, what="two CPU samples of the client")
    assert samples[1]["date"] - samples[0]["date"] >= 1.0


def test_a_removed_container_is_gone_from_the_next_report(topology, talking):
    topology.report()
    assert IDLE in containers(topology)
    talking.containers[IDLE].remove(force=True)
    assert IDLE not in containers(topology)
    assert IDLE not in by_label(topology.nodes("containers", stopped="show"))
