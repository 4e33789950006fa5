"""The map's search: field: value, free words, alternatives and metric comparisons, with clear errors."""

import pytest

from web.topology.errors import InvalidSearch
from web.topology.nodes import Node
from web.topology.search import parse_search

WEB = Node(
    id="a1;<container>",
    label="web",
    label_minor="vm",
    rank="nginx:1.25",
    shape="hexagon",
    metadata=[
        ("image", "Image", "nginx:1.25"),
        ("state", "State", "running"),
        ("pid", "PID", "4242"),
        ("label:tier", "Label tier", "front"),
    ],
    metrics={"cpu": 5.5, "memory": 150 * 1024 * 1024},
)
DB = Node(
    id="b2;<container>",
    label="db",
    label_minor="vm",
    rank="postgres:16",
    shape="hexagon",
    metadata=[("image", "Image", "postgres:16"), ("state", "State", "paused")],
    metrics={"cpu": 0.5, "memory": None},
)


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("", {"web", "db"}),
        ("web", {"web"}),
        ("WEB", {"web"}),
        ("image: nginx", {"web"}),
        ("image:postgres", {"db"}),
        ("state: running|paused", {"web", "db"}),
        ("name: db", {"db"}),
        ("pid: 4242", {"web"}),
        ("label: tier=front", {"web"}),
        ("label: tier=back", set()),
        ("cpu > 4%", {"web"}),
        ("cpu>4", {"web"}),
        ("cpu <= 0.5", {"db"}),
        ("memory > 100MB", {"web"}),  # db has no memory figure: it matches no comparison
        ("memory < 100MiB", set()),
        ("mem >= 150m", {"web"}),
        ("memory > 1GB", set()),
        ("image: nginx cpu > 1%", {"web"}),  # every term
        ("image: nginx cpu > 10%", set()),
        ('command: "a b"', set()),
        ("vm", {"web", "db"}),  # the minor label
    ],
)
def test_search_matches(text, matched):
    search = parse_search(text)
    assert {node.label for node in (WEB, DB) if search.matches(node)} == matched


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpu > lots", "topology: invalid search term 'cpu > lots': 'lots' is not a number"),
        ("disk > 5", "topology: invalid search term 'disk > 5': 'disk' is not a metric (cpu, memory)"),
        ("cpu > 5MB", "topology: invalid search term 'cpu > 5MB': cpu is in % of one core, not 'mb'"),
        ("memory > 5XB", "topology: invalid search term 'memory > 5XB': unknown size unit 'xb' (use KB, MB, GB)"),
        ("image: |", "topology: invalid search term 'image: |': nothing to look for"),
    ],
)
def test_search_errors_name_the_term_and_the_reason(text, message):
    with pytest.raises(InvalidSearch) as caught:
        parse_search(text)
    assert str(caught.value) == message
