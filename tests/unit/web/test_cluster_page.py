"""Another host's containers inside this dashboard: read from the exporter at the metrics address the cluster
publishes for it (a local HTTP server here), as a page and as JSON; a host that does not answer is named."""

import http.server
import threading

import pytest

from web.remote_host import containers_in

OTHER_METRICS = """\
# HELP container_last_seen Last time a container was seen by the exporter
# TYPE container_last_seen gauge
container_last_seen{host="node-2",id="/",image="",name=""} 1.8e9
container_last_seen{host="node-2",id="/p/d4d4d4d4d4d4",image="redis:7",name="cache"} 1.8e9
container_last_seen{host="node-2",id="/p/e5e5e5e5e5e5",image="busybox",name="only-on-b"} 1.8e9
# TYPE container_start_time_seconds gauge
container_start_time_seconds{host="node-2",id="/p/d4d4d4d4d4d4",image="redis:7",name="cache"} 1.7e9
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{host="node-2",id="/p/d4d4d4d4d4d4",image="redis:7",name="cache"} 2097152
# TYPE container_spec_memory_limit_bytes gauge
container_spec_memory_limit_bytes{host="node-2",id="/p/d4d4d4d4d4d4",image="redis:7",name="cache"} 0
container_spec_memory_limit_bytes{host="node-2",id="/p/e5e5e5e5e5e5",image="busybox",name="only-on-b"} 8388608
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{cpu="cpu00",host="node-2",id="/p/d4d4d4d4d4d4",image="redis:7",name="cache"} 1.5
container_cpu_usage_seconds_total{cpu="cpu01",host="node-2",id="/p/d4d4d4d4d4d4",image="redis:7",name="cache"} 0.25
# TYPE container_memory_rss gauge
container_memory_rss{host="node-2",id="/p/d4d4d4d4d4d4",image="redis:7",name="cache"} 1
"""


@pytest.fixture
def other_host():
    """An exporter's /metrics on loopback: its address."""

    class Metrics(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = OTHER_METRICS.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def in_cluster(engine, metrics: str) -> None:
    engine.info_extra = {
        "ClusterStore": "etcd://198.18.0.2:2379",
        "ClusterHosts": [
            {"ID": "h1", "Name": "fakehost", "Addr": "198.18.0.10", "Metrics": "", "Dashboard": ""},
            {"ID": "h2", "Name": "node-2", "Addr": "198.18.0.11", "Metrics": metrics, "Dashboard": "198.18.0.11:8080"},
        ],
    }


def test_the_containers_of_an_exporters_metrics():
    rows = {r.name: r for r in containers_in(OTHER_METRICS)}
    assert sorted(rows) == ["cache", "only-on-b"]  # the root group is no container
    cache = rows["cache"]
    assert (cache.short_id, cache.image, cache.started_at) == ("d4d4d4d4d4d4", "redis:7", 1.7e9)
    assert (cache.memory_usage, cache.memory_limit, cache.cpu_seconds) == (2097152, None, 1.75)
    assert rows["only-on-b"].memory_limit == 8388608


def test_the_overview_links_to_each_other_hosts_containers(engine, http, other_host):
    in_cluster(engine, other_host)
    page = http.get("/").get_data(as_text=True)
    assert 'href="/hosts/h2">its containers' in page
    assert 'href="/hosts/h1"' not in page  # this host's are the list below


def test_another_hosts_containers_inside_this_dashboard(engine, http, other_host):
    in_cluster(engine, other_host)
    page = http.get("/hosts/h2")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Containers of node-2" in text and "only-on-b" in text and "redis:7" in text
    listing = http.get("/api/v1/hosts/h2/containers").get_json()
    assert [c["name"] for c in listing["containers"]] == ["cache", "only-on-b"]
    assert listing["error"] is None and listing["host"]["Name"] == "node-2"


def test_a_host_that_does_not_answer_is_named(engine, http):
    in_cluster(engine, "127.0.0.1:9")  # discard: nothing listens
    listing = http.get("/api/v1/hosts/h2/containers").get_json()
    assert listing["containers"] == []
    assert "cannot read host node-2's metrics at http://127.0.0.1:9/metrics" in listing["error"]
    assert "cannot read host node-2" in http.get("/hosts/h2").get_data(as_text=True)


def test_an_unknown_host_is_not_found(engine, http, other_host):
    in_cluster(engine, other_host)
    assert http.get("/hosts/nope").status_code == 404
    assert http.get("/api/v1/hosts/nope/containers").status_code == 404
