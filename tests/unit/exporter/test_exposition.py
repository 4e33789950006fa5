"""The hand-written text exposition: escaping, cAdvisor's label names and label union, and a Renderer whose
output prometheus_client's own parser reads back."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.exposition import MetricSpec, Renderer, base_labels, escape, label_name
from exporter.readers.samples import CgroupPaths
from exporter.targets import Target

PATHS = CgroupPaths("v2", {})


@pytest.mark.parametrize(
    "value, escaped",
    [("plain", "plain"), ('say "hi"', 'say \\"hi\\"'), ("C:\\dir", "C:\\\\dir"), ("two\nlines", "two\\nlines")],
)
def test_escape(value, escaped):
    assert escape(value) == escaped


@pytest.mark.parametrize(
    "key, name",
    [
        ("com.docker.compose.project", "container_label_com_docker_compose_project"),
        ("maintainer", "container_label_maintainer"),
        ("org.opencontainers.image/ref-name", "container_label_org_opencontainers_image_ref_name"),
        ("9lives", "container_label_9lives"),
    ],
)
def test_label_name(key, name):
    assert label_name(key) == name


def test_every_series_carries_the_union_of_label_names():
    targets = [
        Target(id="/", paths=PATHS, pid=1, root=True),
        Target(id="/a", paths=PATHS, pid=2, name="a", image="x", labels={"team": "web", "a.b": "dot"}),
        Target(id="/b", paths=PATHS, pid=3, name="b", image="y", labels={"a_b": "underscore"}),
    ]
    assert base_labels(targets) == [
        'id="/",image="",name="",container_label_a_b="",container_label_team=""',
        # a.b and a_b share container_label_a_b: the first key in sorted order that the container has wins
        'id="/a",image="x",name="a",container_label_a_b="dot",container_label_team="web"',
        'id="/b",image="y",name="b",container_label_a_b="underscore",container_label_team=""',
    ]


def test_rendered_families_parse_back():
    specs = [
        MetricSpec("demo_seconds_total", "A counter.\nTwo lines.", "counter", lambda s: s * 1.5),
        MetricSpec(
            "demo_bytes", "A gauge with labels.", "gauge", lambda s: [((f"eth{s}", 'q"uote'), s)], ("interface", "odd")
        ),
        MetricSpec("demo_nothing", "No series.", "gauge", lambda s: None),
    ]
    rows = [('id="/a",name="a"', 1), ('id="/b",name="b"', 2)]
    out: list[str] = []
    renderer = Renderer()
    for spec in specs:
        renderer.family(spec, rows, out)
    families = {f.name: f for f in text_string_to_metric_families("".join(out))}
    assert families["demo_seconds"].type == "counter"
    assert families["demo_seconds"].documentation == "A counter.\nTwo lines."
    assert [(s.name, s.labels, s.value) for s in families["demo_bytes"].samples] == [
        ("demo_bytes", {"id": "/a", "name": "a", "interface": "eth1", "odd": 'q"uote'}, 1.0),
        ("demo_bytes", {"id": "/b", "name": "b", "interface": "eth2", "odd": 'q"uote'}, 2.0),
    ]
    assert [s.value for s in families["demo_seconds"].samples] == [1.5, 3.0]
    assert families["demo_nothing"].samples == []
