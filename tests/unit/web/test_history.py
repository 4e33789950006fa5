import math

import pytest

from web.errors import InvalidOption
from web.history import HistoryStore, SeriesRing


def test_window_returns_rows_after_since_oldest_first():
    ring = SeriesRing(capacity=5, max_columns=8)
    for t in range(1, 4):
        ring.append(float(t), {"cpu.usage_ns": t * 10.0})
    window = ring.window(since=1.0)
    assert window.t == [2.0, 3.0]
    assert window.columns == {"cpu.usage_ns": [20.0, 30.0]}


def test_oldest_rows_are_overwritten_when_the_ring_is_full():
    ring = SeriesRing(capacity=3, max_columns=8)
    for t in range(1, 8):
        ring.append(float(t), {"v": float(t)})
    assert len(ring) == 3
    assert ring.window().t == [5.0, 6.0, 7.0]
    assert ring.window(since=5.5).columns["v"] == [6.0, 7.0]
    assert ring.last(2) == [(6.0, {"v": 6.0}), (7.0, {"v": 7.0})]


def test_a_column_that_appears_later_is_null_before_and_a_missing_value_is_null():
    ring = SeriesRing(capacity=4, max_columns=8)
    ring.append(1.0, {"a": 1.0})
    ring.append(2.0, {"a": 2.0, "net.eth1.rx_bytes": 5.0})
    ring.append(3.0, {"net.eth1.rx_bytes": 6.0})
    assert ring.window().columns == {"a": [1.0, 2.0, None], "net.eth1.rx_bytes": [None, 5.0, 6.0]}
    assert ring.last() == [(3.0, {"net.eth1.rx_bytes": 6.0})]


def test_columns_beyond_the_cap_are_not_kept():
    ring = SeriesRing(capacity=4, max_columns=2)
    ring.append(1.0, {"a": 1.0, "b": 2.0, "c": 3.0})
    ring.append(2.0, {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})
    assert sorted(ring.window().columns) == ["a", "b"]


def test_memory_is_fixed_by_capacity_and_columns_not_by_rows():
    ring = SeriesRing(capacity=960, max_columns=64)
    ring.append(0.0, {f"c{n}": 1.0 for n in range(30)})
    size = ring.nbytes()
    for t in range(1, 5000):
        ring.append(float(t), {f"c{n}": float(t) for n in range(30)})
    assert ring.nbytes() == size == 31 * 960 * 8


def test_store_forgets_removed_containers_and_answers_empty_for_unknown_ones():
    store = HistoryStore(capacity=10)
    store.append("a", 1.0, {"v": 1.0})
    store.append("b", 1.0, {"v": 1.0})
    store.forget({"a"})
    assert store.keys() == ["a"]
    assert store.window("b").t == []
    assert store.last("b") == []
    assert store.nbytes("b") == 0


def test_store_needs_two_samples_for_a_rate():
    with pytest.raises(InvalidOption, match="web: invalid history capacity 1: a rate needs at least 2 samples"):
        HistoryStore(capacity=1)


def test_nan_never_reaches_the_window():
    ring = SeriesRing(capacity=2, max_columns=4)
    ring.append(1.0, {"v": math.nan})
    assert ring.window().columns == {"v": [None]}
