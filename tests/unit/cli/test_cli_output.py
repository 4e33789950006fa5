"""Tables, sizes, durations, templates and the rows of ps, images and events, as docker prints them."""

import io
from datetime import datetime

import pytest

from porthole.cli import output, templates
from porthole.cli.containers import format_ports, ps_row
from porthole.cli.images import image_rows, split_reference
from porthole.cli.system import event_line
from runtime.errors import InvalidParameter

ID = "0123456789abcdef" * 4


def test_table_pads_columns_as_docker_tabwriter():
    out = io.StringIO()
    output.table(
        ("CONTAINER ID", "IMAGE", "NAMES"),
        [["0123456789ab", "busybox", "web"], ["x", "a-much-longer-image", "db"]],
        out,
    )
    assert out.getvalue().splitlines() == [
        "CONTAINER ID   IMAGE                 NAMES",
        "0123456789ab   busybox               web",
        "x              a-much-longer-image   db",
    ]


def test_a_narrow_column_is_ten_wide():
    out = io.StringIO()
    output.table(("A", "B"), [["1", "2"]], out)
    assert out.getvalue() == "A         B\n1         2\n"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (1234, "1.23kB"),
        (4_260_000, "4.26MB"),
        (1.98e6, "1.98MB"),
        (5e9, "5GB"),
    ],
)
def test_human_size_is_decimal(size, text):
    assert output.human_size(size) == text


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0B"), (409600, "400KiB"), (1536 * 1024, "1.5MiB"), (25280995328, "23.54GiB")]
)
def test_bytes_size_is_binary(size, text):
    assert output.bytes_size(size) == text


def test_short_id_and_ellipsis():
    assert output.short_id(f"sha256:{ID}") == "0123456789ab"
    assert output.ellipsis("sh -c 'while true; do sleep 1; done'", 20) == "sh -c 'while true; …"
    assert output.ellipsis("short", 20) == "short"


def test_ports_column():
    ports = [
        {"PrivatePort": 443, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 53, "Type": "udp"},
    ]
    assert format_ports(ports) == "53/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 443/tcp"


def test_ps_row_quotes_and_truncates_the_command():
    summary = {
        "Id": ID,
        "Image": "busybox",
        "Command": "sh -c while true; do sleep 1; done",
        "Created": 0,
        "Status": "Up 2 minutes",
        "Ports": [],
        "Names": ["/web", "/other/alias"],
    }
    row = ps_row(summary, truncate=True)
    assert row[0] == "0123456789ab"
    assert row[2] == '"sh -c while true; d…"'
    assert row[4:] == ["Up 2 minutes", "", "web"]
    assert ps_row(summary, truncate=False)[:3] == [ID, "busybox", '"sh -c while true; do sleep 1; done"']


def test_image_rows_one_per_tag_newest_first():
    found = [
        {"Id": f"sha256:{'a' * 64}", "RepoTags": ["busybox:latest", "bb:1"], "Created": 100, "Size": 1980000},
        {"Id": f"sha256:{'b' * 64}", "RepoTags": None, "Created": 200, "Size": 0},
    ]
    rows = image_rows(found, truncate=True)
    assert [r[:3] for r in rows] == [
        ["<none>", "<none>", "b" * 12],
        ["busybox", "latest", "a" * 12],
        ["bb", "1", "a" * 12],
    ]
    assert rows[1][4] == "1.98MB"


def test_image_rows_with_a_reference_show_only_the_matching_tags():
    found = [{"Id": f"sha256:{'a' * 64}", "RepoTags": ["busybox:latest", "bb:1", "bb:2"], "Created": 1, "Size": 1}]
    assert [r[:2] for r in image_rows(found, True, ["bb"])] == [["bb", "1"], ["bb", "2"]]
    assert [r[:2] for r in image_rows(found, True, ["*:latest", "bb:2"])] == [["busybox", "latest"], ["bb", "2"]]


@pytest.mark.parametrize(
    ("reference", "split"),
    [
        ("busybox", ("busybox", "latest")),
        ("busybox:1.36", ("busybox", "1.36")),
        ("localhost:5000/app", ("localhost:5000/app", "latest")),
        ("localhost:5000/app:v2", ("localhost:5000/app", "v2")),
    ],
)
def test_split_reference(reference, split):
    assert split_reference(reference) == split


def test_event_line_is_local_time_with_nanoseconds():
    nanos = 1714557600_123456789
    event = {
        "Type": "container",
        "Action": "start",
        "timeNano": nanos,
        "Actor": {"ID": "abc", "Attributes": {"name": "web", "image": "busybox"}},
    }
    local = datetime.fromtimestamp(1714557600).astimezone()
    offset = local.strftime("%z")
    assert event_line(event) == (
        f"{local:%Y-%m-%dT%H:%M:%S}.123456789{offset[:3]}:{offset[3:]} container start abc (image=busybox, name=web)"
    )


INSPECTED = {
    "State": {"Status": "running", "Running": True, "ExitCode": 0},
    "Name": "/web",
    "Config": {"Env": ["A=1"], "Labels": {"b": "2", "a": "1"}},
}


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("{{.State.Status}}", "running"),
        ("{{ .State.Running }}", "true"),
        ("{{.Name}} {{.State.ExitCode}}", "/web 0"),
        ("{{json .Config.Env}}", '["A=1"]'),
        ("{{.Config.Labels}}", "map[a:1 b:2]"),
        ("{{.Nope.Deeper}}", "<no value>"),
        ("exit={{.State.ExitCode}}!", "exit=0!"),
    ],
)
def test_templates(template, text):
    assert templates.render(template, INSPECTED) == text


def test_templates_refuse_what_they_cannot_do():
    with pytest.raises(InvalidParameter, match="only {{.Field}} and {{json .Field}} are supported"):
        templates.render("{{range .Mounts}}{{.Source}}{{end}}", INSPECTED)
