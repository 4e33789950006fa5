"""runtime/api/metrics.py served as the daemon serves it (porthole/serve/metrics.py): API requests by route
template, lifecycle counts from the event bus, containers by state, and the bind error of a busy
--metrics-addr."""

import socket
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.errors import InvalidOption
from porthole.serve.metrics import DaemonMetrics
from runtime.api.metrics import EngineMetrics, route_template
from runtime.api.router import Router
from runtime.engine.events import EventBus

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.mark.parametrize(
    "pattern, template",
    [
        ("^/containers/(?P<ref>[^/]+)/json$", "/containers/{ref}/json"),
        ("^/images/(?P<name>.+)/get$", "/images/{name}/get"),
        ("^/exec/(?P<exec_id>[^/]+)/start$", "/exec/{exec_id}/start"),
        ("^/_ping$", "/_ping"),
    ],
)
def test_route_template(pattern, template):
    assert route_template(pattern) == template


@pytest.fixture
def bus():
    return EventBus()


@pytest.fixture
def engine(bus):
    router = Router()
    for method, path in (
        ("GET", "/_ping"),
        ("GET", r"/containers/(?P<ref>[^/]+)/json"),
        ("POST", "/containers/create"),
    ):
        router.add(method, path, lambda req, **_: None)
    return EngineMetrics(bus, lambda: ["running", "running", "exited"], router)


@pytest.fixture
def port(engine):
    """The port of /metrics served as the daemon serves it."""
    served = DaemonMetrics(engine, "127.0.0.1:0")
    served.start()
    yield served.port
    served.close()


def scrape(port: int) -> dict:
    text = OPENER.open(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def eventually(port: int, key, expected) -> dict:
    deadline = time.monotonic() + 5
    while (found := scrape(port)).get(key) != expected:
        assert time.monotonic() < deadline, f"{key} is {found.get(key)}, expected {expected}"
        time.sleep(0.02)
    return found


def test_requests_are_counted_by_route_template(engine, port):
    engine.observe("GET", "/containers/3f2a/json", 200, 0.004)
    engine.observe("GET", "/containers/web/json", 404, 0.002)
    engine.observe("HEAD", "/_ping", 200, 0.001)
    engine.observe("GET", "/no/such/route", 404, 0.001)
    found = scrape(port)
    route = ("route", "/containers/{ref}/json")
    assert found[("porthole_api_requests_total", (("method", "GET"), route, ("status", "200")))] == 1
    assert found[("porthole_api_requests_total", (("method", "GET"), route, ("status", "404")))] == 1
    assert found[("porthole_api_requests_total", (("method", "HEAD"), ("route", "/_ping"), ("status", "200")))] == 1
    assert found[("porthole_api_requests_total", (("method", "GET"), ("route", "other"), ("status", "404")))] == 1
    assert found[("porthole_api_request_duration_seconds_count", (("method", "GET"), route))] == 2
    assert found[("porthole_api_request_duration_seconds_bucket", (("le", "0.005"), ("method", "GET"), route))] == 2


def test_lifecycle_is_counted_from_the_event_bus(port, bus):
    bus.publish("container", "start", "c1", name="web")
    bus.publish("container", "oom", "c1", name="web")
    bus.publish("container", "die", "c1", name="web", exitCode="137")
    bus.publish("container", "restart", "c1", name="web")
    bus.publish("container", "restart", "c1", name="web")
    bus.publish("image", "start", "i1")  # not a container: not counted
    found = eventually(port, ("porthole_container_restarts_total", (("name", "web"),)), 2)
    assert found[("porthole_container_starts_total", ())] == 1
    assert found[("porthole_container_oom_kills_total", ())] == 1
    assert found[("porthole_container_exits_total", (("exit_code", "137"),))] == 1
    assert found[("porthole_containers", (("state", "running"),))] == 2
    assert found[("porthole_containers", (("state", "paused"),))] == 0
    bus.publish("container", "destroy", "c1", name="web")
    deadline = time.monotonic() + 5
    while ("porthole_container_restarts_total", (("name", "web"),)) in scrape(port):
        assert time.monotonic() < deadline, "a removed container's restart series stayed"
        time.sleep(0.02)


def test_the_daemons_process_metrics_are_there(port):
    assert scrape(port)[("process_cpu_seconds_total", ())] > 0


def test_a_busy_metrics_address_is_refused(bus):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InvalidOption) as e:
            DaemonMetrics(EngineMetrics(bus, list, Router()), f"127.0.0.1:{port}")
    assert str(e.value) == (
        f"porthole daemon: cannot listen on --metrics-addr '127.0.0.1:{port}': Address already in use"
    )
