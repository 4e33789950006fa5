"""EngineDiscovery against a fake Engine API and a fake /proc: what a refresh inspects, keeps and drops, and
how events and failures drive it."""

import time

import pytest
import requests

from common.rfc3339 import unix_seconds
from exporter.discovery import EngineDiscovery
from tests.unit.exporter.conftest import GROUP
from tests.unit.exporter.fakes import FakeClient, inspect_body

ID = "a" * 64
CONTROLLERS = ("cpu", "cpuacct", "memory", "pids", "blkio")


@pytest.fixture
def client():
    return FakeClient()


@pytest.fixture
def errors():
    return []


@pytest.fixture
def discovery(client, errors, v1_host):
    d = EngineDiscovery(
        client,
        lambda stage, message: errors.append((stage, message)),
        refresh_seconds=0.05,
        cgroup_root=v1_host["cgroup"],
        proc_root=v1_host["proc"],
    )
    yield d
    d.close()


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_running_container_becomes_a_target(client, discovery, v1_host):
    client.api.running[ID] = inspect_body(ID, 42, "web", labels={"team": "front"}, image="nginx:1", upper="/u")
    discovery.refresh()
    (target,) = discovery.targets()
    assert (target.id, target.name, target.image, target.pid, target.upper_dir) == (
        "/" + GROUP,
        "web",
        "nginx:1",
        42,
        "/u",
    )
    assert target.labels == {"team": "front"}
    assert target.paths.dirs["memory"] == v1_host["cgroup"] / "memory" / GROUP
    assert target.started_at == unix_seconds("2026-11-28T04:00:01.25Z")
    assert target.created_at == unix_seconds("2026-11-28T04:00:00.5Z")
    assert target.spec.memory_limit == 67108864  # limits read once, here


def test_a_known_container_is_not_inspected_again(client, discovery):
    client.api.running[ID] = inspect_body(ID, 42, "web")
    discovery.refresh()
    first = discovery.targets()
    discovery.refresh()
    assert client.api.inspected == [ID]
    assert discovery.targets() is first  # unchanged: the exporter keeps its prepared labels


def test_a_new_process_is_found_even_without_events(client, discovery, v1_host):
    client.api.running[ID] = inspect_body(ID, 42, "web")
    discovery.refresh()
    (v1_host["proc"] / "42" / "cgroup").unlink()  # pid 42 exited; the container runs again as pid 43
    (v1_host["proc"] / "43").mkdir()
    (v1_host["proc"] / "43" / "cgroup").write_text(f"4:memory:/{GROUP}\n")
    client.api.running[ID] = inspect_body(ID, 43, "web")
    discovery.refresh()
    assert [t.pid for t in discovery.targets()] == [43]
    assert client.api.inspected == [ID, ID]


@pytest.mark.parametrize("pid, running", [(0, True), (99, True), (42, False)])
def test_what_is_left_out(client, discovery, pid, running):
    """Pid 0 (restarting), a pid gone since inspection, a container removed between list and inspect."""
    client.api.running[ID] = inspect_body(ID, pid, "web")
    listed = client.api.containers
    if not running:
        client.api.containers = lambda: [{"Id": ID}]
        del client.api.running[ID]
    discovery.refresh()
    client.api.containers = listed
    assert discovery.targets() == ()


def test_a_failed_listing_keeps_the_targets_and_is_reported(client, discovery, errors):
    client.api.running[ID] = inspect_body(ID, 42, "web")
    discovery.refresh()
    client.api.list_error = requests.ConnectionError("connection refused")
    discovery.refresh()
    assert [t.name for t in discovery.targets()] == ["web"]
    assert errors == [("list", "exporter: cannot list containers: connection refused")]


def test_events_refresh_and_reinspect(client, discovery):
    discovery.start()
    assert client.event_filters == [{"type": ["container"]}]
    client.api.running[ID] = inspect_body(ID, 42, "web")
    client.stream.put({"Type": "container", "Action": "start", "Actor": {"ID": ID}, "id": ID})
    wait_until(lambda: [t.name for t in discovery.targets()] == ["web"])
    client.api.running[ID] = inspect_body(ID, 42, "renamed")
    client.stream.put({"Type": "container", "Action": "rename", "Actor": {"ID": ID}, "id": ID})
    wait_until(lambda: [t.name for t in discovery.targets()] == ["renamed"])
    del client.api.running[ID]
    client.stream.put({"Type": "container", "Action": "destroy", "Actor": {"ID": ID}, "id": ID})
    wait_until(lambda: discovery.targets() == ())


def test_stale_asks_for_a_refresh(client, discovery):
    discovery.start()
    client.api.running[ID] = inspect_body(ID, 42, "web")
    discovery.stale()
    wait_until(lambda: len(discovery.targets()) == 1)
