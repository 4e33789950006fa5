"""The inventory: inspect only what changed, follow the events, survive an engine that is down."""

import time

from tests.unit.web.fakes import FakeEngine, inspect_json
from web.inventory import Inventory

A = "a1" * 32
B = "b2" * 32


class CountingEngine(FakeEngine):
    def __init__(self, containers):
        super().__init__(containers)
        self.inspections: list[str] = []

    def inspect_container(self, container):
        self.inspections.append(container)
        return super().inspect_container(container)


def test_records_are_sorted_by_name_and_found_by_name_id_or_prefix():
    inventory = Inventory(FakeEngine([inspect_json(B, "zulu"), inspect_json(A, "alpha")]))
    inventory.refresh()
    assert [r.name for r in inventory.records()] == ["alpha", "zulu"]
    assert inventory.get("zulu").id == B
    assert inventory.get(A).name == "alpha"
    assert inventory.get("b2b2").name == "zulu"
    assert inventory.get("") is None
    assert inventory.get("nope") is None


def test_a_refresh_inspects_only_new_changed_or_marked_containers():
    engine = CountingEngine([inspect_json(A, "alpha"), inspect_json(B, "beta")])
    inventory = Inventory(engine)
    inventory.refresh()
    first = inventory.records()
    inventory.refresh()
    assert sorted(engine.inspections) == [A, B]
    assert inventory.records() is first  # nothing changed: the same tuple
    engine.inspected[B] = inspect_json(B, "beta", state="exited")
    inventory.refresh()
    assert engine.inspections[2:] == [B]
    inventory.record_event({"Type": "container", "Action": "restart", "Actor": {"ID": A}, "timeNano": 5})
    inventory.refresh()
    assert engine.inspections[3:] == [A]


def test_events_are_kept_per_container_and_bounded():
    inventory = Inventory(FakeEngine([inspect_json(A, "alpha")]), events_kept=3)
    inventory.refresh()
    for n in range(5):
        inventory.record_event(
            {"Type": "container", "Action": f"exec_start: sh {n}", "Actor": {"ID": A}, "timeNano": n}
        )
    assert [e.action for e in inventory.events_of(A)] == ["exec_start: sh 2", "exec_start: sh 3", "exec_start: sh 4"]


def test_events_of_removed_containers_are_dropped():
    engine = FakeEngine([inspect_json(A, "alpha")])
    inventory = Inventory(engine)
    inventory.refresh()
    inventory.record_event({"Type": "container", "Action": "destroy", "Actor": {"ID": A}, "timeNano": 1})
    del engine.inspected[A]
    inventory.refresh()
    assert inventory.records() == ()
    assert inventory.events_of(A) == []


def test_an_engine_that_is_down_keeps_the_last_list_and_says_why():
    engine = FakeEngine([inspect_json(A, "alpha")])
    inventory = Inventory(engine)
    inventory.refresh()
    engine.down = True
    inventory.refresh()
    assert [r.name for r in inventory.records()] == ["alpha"]
    assert inventory.error == "web: cannot list the containers of the engine: connection refused"
    engine.down = False
    inventory.refresh()
    assert inventory.error is None


def test_the_background_threads_follow_the_events_and_stop():
    engine = FakeEngine([inspect_json(A, "alpha")])
    engine.events_sent = [{"Type": "container", "Action": "start", "Actor": {"ID": A}, "timeNano": 7}]
    inventory = Inventory(engine, refresh_seconds=0.05)
    inventory.start()
    try:
        deadline = time.monotonic() + 5
        while not inventory.events_of(A) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [e.action for e in inventory.events_of(A)] == ["start"]
    finally:
        inventory.close()
