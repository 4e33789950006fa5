"""The map's API and page over reports POSTed to an app of its own (no probe of the real host)."""

import gzip

import pytest

from tests.unit.topology.reports import CLIENT_ID, IDLE_ID, PUBLISHED_ID, SERVER_ID, talking_host
from tests.unit.web.fakes import FakeEngine
from web import create_app
from web.state import build_state
from web.topology.nodes import container_node, image_node, process_node
from web.topology.report import encode_report

TOKEN = "t" * 24


@pytest.fixture
def make(tmp_path):
    (tmp_path / "cgroup").mkdir()
    (tmp_path / "proc").mkdir()
    apps = []

    def build(**config):
        engine = FakeEngine([])
        state = build_state(engine, "unix:///fake.sock", cgroup_root=tmp_path / "cgroup", proc_root=tmp_path / "proc")
        app = create_app({"STATE": state, "TESTING": True, **config})
        apps.append(app)
        return app

    yield build


@pytest.fixture
def http(make):
    client = make().test_client()
    response = client.post("/api/report", data=encode_report(talking_host()), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return client


def test_containers_are_shaped_like_scopes(http):
    nodes = http.get("/api/topology/containers").get_json()["nodes"]
    server, client = nodes[container_node(SERVER_ID)], nodes[container_node(CLIENT_ID)]
    assert client["label"] == "client"
    assert client["adjacency"] == [container_node(SERVER_ID)]
    assert nodes[container_node(PUBLISHED_ID)]["adjacency"] == [container_node(SERVER_ID)]
    assert server["adjacency"] == nodes[container_node(IDLE_ID)]["adjacency"] == []
    assert {m["id"]: m["value"] for m in server["metadata"]}["ports"] == "0.0.0.0:8080->80/tcp"
    assert {m["id"]: m["value"] for m in server["metrics"]} == {"cpu": 1.0, "memory": 1 << 20}
    assert set(server) >= {"id", "label", "labelMinor", "shape", "metadata", "metrics", "parents", "adjacency"}


def test_the_topology_list_has_options_and_stats(http):
    listed = {t["id"]: t for t in http.get("/api/topology").get_json()}
    assert list(listed) == ["containers", "containers-by-image", "processes", "hosts"]
    assert listed["containers"]["stats"]["edge_count"] == 2
    assert listed["containers"]["url"] == "/api/topology/containers"
    assert [o["id"] for o in listed["processes"]["options"]] == ["unconnected"]


def test_processes_hide_the_unconnected_unless_asked(http):
    connected = http.get("/api/topology/processes").get_json()["nodes"]
    assert set(connected) == {process_node("vm", pid) for pid in (20, 30, 40)}
    everything = http.get("/api/topology/processes?unconnected=show").get_json()["nodes"]
    assert process_node("vm", 60) in everything  # the host's sshd: uncontained


def test_images_group_containers(http):
    nodes = http.get("/api/topology/containers-by-image").get_json()["nodes"]
    assert list(nodes) == [image_node("busybox")]
    assert nodes[image_node("busybox")]["labelMinor"] == "4 containers"


def test_search_narrows_and_errors_are_400(http):
    nodes = http.get("/api/topology/containers?q=name: client|idle").get_json()["nodes"]
    assert sorted(n["label"] for n in nodes.values()) == ["client", "idle"]
    assert all(n["adjacency"] == [] for n in nodes.values())  # the server is not shown: no edge to it
    response = http.get("/api/topology/containers?q=cpu > lots")
    assert response.status_code == 400
    assert response.get_json()["message"] == "topology: invalid search term 'cpu > lots': 'lots' is not a number"
    response = http.get("/api/topology/containers?stopped=maybe")
    assert response.status_code == 400
    assert "expected one of hide, show" in response.get_json()["message"]


def test_details_list_connections_and_children(http):
    node = http.get(f"/api/topology/containers/{container_node(SERVER_ID)}").get_json()["node"]
    inbound = {row["label"]: row for row in node["connections"][0]["connections"]}
    assert set(inbound) == {"client", "published"}
    assert inbound["published"]["dialled"] == ["172.17.0.1:8080"]
    assert node["connections"][1]["connections"] == []
    assert [row["label"] for row in node["children"][0]["nodes"]] == ["httpd", "httpd"]
    assert node["controls"] == []  # controls are off


def test_unknown_topology_or_node_is_404(http):
    assert http.get("/api/topology/pods").status_code == 404
    response = http.get("/api/topology/containers/nope;<container>")
    assert response.status_code == 404
    assert (
        response.get_json()["message"]
        == "web: no node 'nope;<container>' in topology containers: it is gone from the map"
    )


def test_reports_must_be_json_gzip_allowed(make):
    client = make().test_client()
    body = encode_report(talking_host())
    assert client.post("/api/report", data=body, content_type="text/plain").status_code == 415
    response = client.post("/api/report", data=body, content_type="application/json", headers={"Origin": "http://evil"})
    assert response.status_code == 403
    response = client.post(
        "/api/report", data=gzip.compress(body), content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.get_json()["host"] == "vm"
    response = client.post("/api/report", data=b'{"probe_id": 1}', content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("topology: invalid report: Expected `str`, got `int`")


def test_with_a_token_reports_need_it(make):
    client = make(TOKEN=TOKEN).test_client()
    body = encode_report(talking_host())
    assert client.post("/api/report", data=body, content_type="application/json").status_code == 401
    response = client.post(
        "/api/report", data=body, content_type="application/json", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200


def test_the_page_and_its_navigation_link(http):
    page = http.get("/topology").get_data(as_text=True)
    assert 'href="/topology"' in page
    assert "vendor/cytoscape/cytoscape.min.js" in page
    assert 'data-controls-url=""' in page  # no controls without --enable-controls
    assert "<script>" not in page  # nothing inline: the CSP forbids it


def test_with_controls_the_details_offer_them(make):
    client = make(TOKEN=TOKEN, CONTROLS=True).test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    client.post("/api/report", data=encode_report(talking_host()), content_type="application/json", headers=auth)
    node = client.get(f"/api/topology/containers/{container_node(SERVER_ID)}", headers=auth).get_json()["node"]
    assert [c["id"] for c in node["controls"]] == ["stop", "restart", "pause"]
    page = client.get("/topology", headers=auth).get_data(as_text=True)
    assert 'data-controls-url="/containers/REF/ACTION"' in page
