import dataclasses

import pytest

from exporter.records import record_from_inspect
from tests.unit.exporter.fakes import inspect_json
from web.errors import InvalidOption
from web.filters import parse_filter
from web.history import HistoryStore
from web.listing import ContainerRow, container_rows, parse_sort

A = record_from_inspect(inspect_json("a1" * 32, "alpha", pid=10, restart_count=1))
B = record_from_inspect(inspect_json("b2" * 32, "beta", pid=20, image="zeta:1"))
C = record_from_inspect(inspect_json("c3" * 32, "gamma", state="exited", restart_count=5))


@pytest.fixture
def history():
    store = HistoryStore(capacity=10)
    for t, a_cpu, b_cpu in ((1.0, 0, 0), (2.0, 2e8, 9e8)):
        store.append(A.id, t, {"pid": 10, "cpu.usage_ns": a_cpu, "memory.usage": 300.0, "memory.limit": 1000.0})
        store.append(B.id, t, {"pid": 20, "cpu.usage_ns": b_cpu, "memory.usage": 100.0})
    return store


@pytest.mark.parametrize(
    "sort, names",
    [
        ("name", ["alpha", "beta", "gamma"]),
        ("-name", ["gamma", "beta", "alpha"]),
        ("cpu", ["alpha", "beta", "gamma"]),
        ("-cpu", ["beta", "alpha", "gamma"]),  # no number: last either way
        ("-memory", ["alpha", "beta", "gamma"]),
        ("-restarts", ["gamma", "alpha", "beta"]),
        ("image", ["alpha", "gamma", "beta"]),
    ],
)
def test_rows_sort(history, sort, names):
    rows = container_rows([C, B, A], history, parse_filter(""), parse_sort(sort))
    assert [row.record.name for row in rows] == names


def test_rows_carry_the_latest_numbers_of_live_containers_only(history):
    history.append(C.id, 1.0, {"pid": 30, "memory.usage": 5.0})
    rows = {row.record.name: row for row in container_rows([A, B, C], history, parse_filter(""), parse_sort(""))}
    assert rows["alpha"].cpu_percent == pytest.approx(20.0)
    assert (rows["alpha"].memory_usage, rows["alpha"].memory_limit) == (300.0, 1000.0)
    assert rows["beta"].memory_limit is None
    assert (rows["gamma"].cpu_percent, rows["gamma"].memory_usage) == (None, None)


def test_numbers_of_a_previous_process_are_not_shown_as_the_new_ones(history):
    restarted = dataclasses.replace(A, pid=11)
    row = container_rows([restarted], history, parse_filter(""), parse_sort(""))[0]
    assert (row.cpu_percent, row.memory_usage) == (None, None)


@pytest.mark.parametrize(
    "record, now, status",
    [
        (A, A.started_at + 42, "Up 42 seconds"),
        (dataclasses.replace(A, state="paused"), A.started_at + 600, "Up 10 minutes (Paused)"),
        (C, C.finished_at + 7200, "Exited (3) 2 hours ago"),
        (dataclasses.replace(C, state="restarting"), C.finished_at + 1, "Restarting (3) 1 second ago"),
        (dataclasses.replace(C, state="created", finished_at=None), 0, "Created"),
    ],
)
def test_status_reads_like_docker_ps(record, now, status):
    row = ContainerRow(record, None, None, None, None)
    assert row.status(now) == status
    assert row.to_json(now)["status"] == status


def test_an_unknown_sort_key_is_refused():
    with pytest.raises(InvalidOption, match="web: invalid sort '-colour': expected one of name, image"):
        parse_sort("-colour")
