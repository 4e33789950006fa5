"""What `docker events` says of each container event: every one carries the container's labels (so a label
filter sees a container's whole life), with moby's Action texts."""

import time

import pytest

pytestmark = pytest.mark.root


def labelled_events(ph, since: float) -> list[tuple[str, str]]:
    out = ph.docker("events", "--since", str(since), "--until", str(time.time()), "--filter", "label=grp=x",
                    "--filter", "type=container", "--format", "{{.Action}}|{{.Actor.Attributes.name}}")  # fmt: skip
    return [tuple(line.split("|")) for line in out.stdout.decode().splitlines()]


def test_a_label_filter_sees_create_attach_and_exec_events(ph):
    since = time.time()
    ph.docker("run", "--label", "grp=x", "--name", "once", "busybox", "true", check=True)
    ph.docker("run", "-d", "--label", "grp=x", "--name", "long", "busybox", "sleep", "300", check=True)
    ph.docker("exec", "long", "true", check=True)
    actions = [(action.partition(":")[0], name) for action, name in labelled_events(ph, since)]
    assert actions == [
        ("create", "once"),
        ("attach", "once"),
        ("start", "once"),
        ("die", "once"),
        ("create", "long"),
        ("start", "long"),
        ("exec_create", "long"),
        ("exec_start", "long"),
        ("exec_die", "long"),
    ]


def test_exec_actions_are_mobys_text_entrypoint_space_args(ph, client):
    ph.docker("run", "-d", "--name", "execd", "busybox", "sleep", "300", check=True)
    since = time.time()
    ph.docker("exec", "execd", "true", check=True)
    ph.docker("exec", "execd", "sh", "-c", "exit 0", check=True)
    events = client.events(since=since, until=time.time(), filters={"container": "execd"}, decode=True)
    assert [e["Action"] for e in events] == [
        "exec_create: true ",
        "exec_start: true ",
        "exec_die",
        "exec_create: sh -c exit 0",
        "exec_start: sh -c exit 0",
        "exec_die",
    ]
