"""The container watcher against a fake Engine API and a fake cgroupfs and /proc: what a refresh inspects,
keeps and drops; the records (every container) and the targets (the running ones' cgroups) made from one
inspection; the events kept per container; and how events and failures drive it."""

import time

import pytest

from common.rfc3339 import unix_seconds
from exporter.watcher import ContainerWatcher
from tests.unit.exporter.conftest import GROUP
from tests.unit.exporter.fakes import FakeEngine, inspect_json

ID = "a" * 64
A = "a1" * 32
B = "b2" * 32


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def errors():
    return []


@pytest.fixture
def make(engine, errors, v1_host):
    made = []

    def build(component="exporter", **options):
        w = ContainerWatcher(
            engine,
            component=component,
            on_error=lambda stage, message: errors.append((stage, message)),
            refresh_seconds=0.05,
            cgroup_root=v1_host["cgroup"],
            proc_root=v1_host["proc"],
            **options,
        )
        made.append(w)
        return w

    yield build
    for w in made:
        w.close()


@pytest.fixture
def watcher(make):
    return make()


def process_in_group(v1_host, pid: int) -> None:
    """/proc/<pid>/cgroup of a process in GROUP, the fake host's container group."""
    (v1_host["proc"] / str(pid)).mkdir(exist_ok=True)
    (v1_host["proc"] / str(pid) / "cgroup").write_text(f"4:memory:/{GROUP}\n")


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# -- targets: what the exporter exports ---------------------------------------------------------------------
def test_a_running_container_becomes_a_target(engine, watcher, v1_host):
    body = inspect_json(ID, "web", pid=42, labels={"team": "front"}, image="nginx:1", upper="/u")
    body["Created"], body["State"]["StartedAt"] = "2026-11-28T04:00:00.5Z", "2026-11-28T04:00:01.250000000Z"
    engine.inspected[ID] = body
    watcher.refresh()
    (target,) = watcher.targets()
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
    (record,) = watcher.records()  # the dashboard's record of the same inspection
    assert (record.id, record.name, record.pid, record.state) == (ID, "web", 42, "running")
    assert target.container_id == record.id


def test_a_known_container_is_not_inspected_again(engine, watcher):
    engine.inspected[ID] = inspect_json(ID, "web", pid=42)
    watcher.refresh()
    first = watcher.targets()
    watcher.refresh()
    assert engine.inspections == [ID]
    assert watcher.targets() is first  # unchanged: the exporter keeps its prepared labels


def test_a_new_process_is_found_even_without_events(engine, watcher, v1_host):
    engine.inspected[ID] = inspect_json(ID, "web", pid=42)
    watcher.refresh()
    (v1_host["proc"] / "42" / "cgroup").unlink()  # pid 42 exited; the container runs again as pid 43
    process_in_group(v1_host, 43)
    engine.inspected[ID] = inspect_json(ID, "web", pid=43)
    watcher.refresh()
    assert [t.pid for t in watcher.targets()] == [43]
    assert engine.inspections == [ID, ID]


def test_a_refresh_may_leave_the_processes_to_its_caller(engine, watcher, v1_host):
    """The map's probe finds gone processes itself (their namespaces) and says so with stale()."""
    engine.inspected[ID] = inspect_json(ID, "web", pid=42)
    watcher.refresh()
    (v1_host["proc"] / "42" / "cgroup").unlink()
    watcher.refresh(check_processes=False)
    assert engine.inspections == [ID]
    watcher.stale(ID)
    watcher.refresh(check_processes=False)
    assert engine.inspections == [ID, ID]


@pytest.mark.parametrize("pid, running", [(0, True), (99, True), (42, False)])
def test_what_is_left_out(engine, watcher, pid, running):
    """Pid 0 (restarting), a pid gone since inspection, a container removed between list and inspect."""
    if running:
        engine.inspected[ID] = inspect_json(ID, "web", pid=pid)
    else:
        engine.containers = lambda all=False: [{"Id": ID, "State": "running"}]
    watcher.refresh()
    assert watcher.targets() == ()


def test_a_failed_listing_keeps_the_targets_and_is_reported(engine, watcher, errors):
    engine.inspected[ID] = inspect_json(ID, "web", pid=42)
    watcher.refresh()
    engine.down = True
    watcher.refresh()
    assert [t.name for t in watcher.targets()] == ["web"]
    assert errors == [("list", "exporter: cannot list the containers of the engine: connection refused")]


def test_events_refresh_and_reinspect(engine, watcher):
    watcher.start()
    wait_until(lambda: engine.event_options)
    assert engine.event_options[0]["filters"] == {"type": ["container"]}
    engine.inspected[ID] = inspect_json(ID, "web", pid=42)
    engine.stream.put({"Type": "container", "Action": "start", "Actor": {"ID": ID}, "id": ID})
    wait_until(lambda: [t.name for t in watcher.targets()] == ["web"])
    engine.inspected[ID] = inspect_json(ID, "renamed", pid=42)
    engine.stream.put({"Type": "container", "Action": "rename", "Actor": {"ID": ID}, "id": ID})
    wait_until(lambda: [t.name for t in watcher.targets()] == ["renamed"])
    del engine.inspected[ID]
    engine.stream.put({"Type": "container", "Action": "destroy", "Actor": {"ID": ID}, "id": ID})
    wait_until(lambda: watcher.targets() == ())


def test_stale_asks_for_a_refresh(engine, watcher):
    watcher.start()
    engine.inspected[ID] = inspect_json(ID, "web", pid=42)
    watcher.stale()
    wait_until(lambda: len(watcher.targets()) == 1)


# -- records: what the dashboard lists and the map reports --------------------------------------------------
def test_records_are_sorted_by_name_and_found_by_name_id_or_prefix(engine, make):
    engine.inspected = {B: inspect_json(B, "zulu", pid=42), A: inspect_json(A, "alpha", pid=42)}
    watcher = make("web")
    watcher.refresh()
    assert [r.name for r in watcher.records()] == ["alpha", "zulu"]
    assert watcher.get("zulu").id == B
    assert watcher.get(A).name == "alpha"
    assert watcher.get("b2b2").name == "zulu"
    assert watcher.get("") is None
    assert watcher.get("nope") is None


def test_a_refresh_inspects_only_new_changed_or_marked_containers(engine, make, v1_host):
    process_in_group(v1_host, 43)
    engine.inspected = {A: inspect_json(A, "alpha", pid=42), B: inspect_json(B, "beta", pid=43)}
    watcher = make("web")
    watcher.refresh()
    first = watcher.records()
    watcher.refresh()
    assert sorted(engine.inspections) == [A, B]
    assert watcher.records() is first  # nothing changed: the same tuple
    engine.inspected[B] = inspect_json(B, "beta", state="exited")
    watcher.refresh()
    assert engine.inspections[2:] == [B]
    watcher.record_event({"Type": "container", "Action": "restart", "Actor": {"ID": A}, "timeNano": 5})
    watcher.refresh()
    assert engine.inspections[3:] == [A]


def test_stopped_containers_are_records_but_not_targets(engine, make):
    engine.inspected = {A: inspect_json(A, "alpha", pid=42), B: inspect_json(B, "beta", state="exited")}
    watcher = make("web")
    watcher.refresh()
    assert [(r.name, r.live) for r in watcher.records()] == [("alpha", True), ("beta", False)]
    assert [t.container_id for t in watcher.targets()] == [A]


def test_events_are_kept_per_container_and_bounded(engine, make):
    engine.inspected = {A: inspect_json(A, "alpha", pid=42)}
    watcher = make("web", events_kept=3)
    watcher.refresh()
    for n in range(5):
        watcher.record_event({"Type": "container", "Action": f"exec_start: sh {n}", "Actor": {"ID": A}, "timeNano": n})
    assert [e.action for e in watcher.events_of(A)] == ["exec_start: sh 2", "exec_start: sh 3", "exec_start: sh 4"]


def test_events_of_removed_containers_are_dropped(engine, make):
    engine.inspected = {A: inspect_json(A, "alpha", pid=42)}
    watcher = make("web")
    watcher.refresh()
    watcher.record_event({"Type": "container", "Action": "destroy", "Actor": {"ID": A}, "timeNano": 1})
    del engine.inspected[A]
    watcher.refresh()
    assert watcher.records() == ()
    assert watcher.events_of(A) == []


def test_an_engine_that_is_down_keeps_the_last_list_and_says_why(engine, make):
    engine.inspected = {A: inspect_json(A, "alpha", pid=42)}
    watcher = make("web")
    watcher.refresh()
    engine.down = True
    watcher.refresh()
    assert [r.name for r in watcher.records()] == ["alpha"]
    assert watcher.error == "web: cannot list the containers of the engine: connection refused"
    engine.down = False
    watcher.refresh()
    assert watcher.error is None


def test_the_background_threads_follow_the_events_and_stop(engine, make):
    engine.inspected = {A: inspect_json(A, "alpha", pid=42)}
    engine.stream.put({"Type": "container", "Action": "start", "Actor": {"ID": A}, "timeNano": 7})
    watcher = make("web")
    watcher.start()
    wait_until(lambda: watcher.events_of(A))
    assert [e.action for e in watcher.events_of(A)] == ["start"]
    watcher.close()
    assert engine.stream.closed


def test_the_backlog_before_the_first_listing_is_kept_but_inspects_nothing_again(engine, make):
    now = 1_800_000_000.0
    engine.inspected = {A: inspect_json(A, "alpha", pid=42)}
    watcher = make("web", clock=lambda: now)
    engine.stream.put({"Type": "container", "Action": "restart", "Actor": {"ID": A}, "timeNano": int((now - 60) * 1e9)})
    watcher.start()
    engine.inspected[B] = inspect_json(B, "beta", pid=42)
    engine.stream.put({"Type": "container", "Action": "create", "Actor": {"ID": B}, "timeNano": int(now * 1e9)})
    wait_until(lambda: [r.name for r in watcher.records()] == ["alpha", "beta"])  # the events after it did
    assert [e.action for e in watcher.events_of(A)] == ["restart"]
    assert engine.inspections == [A, B]
