"""Docker's status texts, as `docker ps` prints them."""

import time

import pytest

from common import rfc3339
from runtime.api.shapes.containers import command_text, status_text
from runtime.engine.model import Container, State


def _container(path: str = "true", args: tuple[str, ...] = (), **state) -> Container:
    return Container(
        id="a" * 64,
        name="n",
        created=rfc3339.now(),
        image_ref="busybox",
        image_id="sha256:x",
        config={},
        host_config={},
        networking_config={},
        mounts=[],
        path=path,
        args=list(args),
        layers=[],
        state=State(**state),
    )


def _ago(seconds: float) -> str:
    return rfc3339.format_ns(int((time.time() - seconds) * 1e9))


@pytest.mark.parametrize(
    ("status", "extra", "seconds_ago", "text"),
    [
        ("created", {}, None, "Created"),
        ("running", {}, 5, "Up 5 seconds"),
        ("paused", {}, 5, "Up 5 seconds (Paused)"),
        ("exited", {"exit_code": 3}, 120, "Exited (3) 2 minutes ago"),
        ("restarting", {"exit_code": 1}, 1, "Restarting (1) 1 second ago"),
        ("dead", {}, None, "Dead"),
    ],
)
def test_status_text(status, extra, seconds_ago, text):
    times = {}
    if seconds_ago is not None:  # computed when the test runs, not when it is collected
        times = {"started_at": _ago(seconds_ago), "finished_at": _ago(seconds_ago)}
    assert status_text(_container(status=status, **extra, **times)) == text


@pytest.mark.parametrize(
    ("path", "args", "text"),
    [
        ("sh", ("-c", "exit 3"), "sh -c 'exit 3'"),
        ("sleep", ("60",), "sleep 60"),
        ("/bin/my tool", (), "/bin/my tool"),  # moby never quotes the path
        ("true", (), "true"),
    ],
)
def test_command_quotes_arguments_with_spaces_as_docker_ps_shows_them(path, args, text):
    assert command_text(_container(path, args, status="created")) == text
