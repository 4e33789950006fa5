"""Docker's status texts, as `docker ps` prints them."""

import time

import pytest

from runtime.api.shapes import human_duration, status_text
from runtime.engine import clock
from runtime.engine.model import Container, State


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "Less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (2 * 3600, "2 hours"),
        (47 * 3600, "47 hours"),
        (48 * 3600, "2 days"),
        (14 * 86400, "2 weeks"),
        (60 * 86400, "2 months"),
        (2 * 365 * 86400, "2 years"),
    ],
)
def test_human_duration_as_go_units(seconds, text):
    assert human_duration(seconds) == text


def _container(**state) -> Container:
    return Container(
        id="a" * 64,
        name="n",
        created=clock.now(),
        image_ref="busybox",
        image_id="sha256:x",
        config={},
        host_config={},
        networking_config={},
        mounts=[],
        path="true",
        args=[],
        layers=[],
        state=State(**state),
    )


def _ago(seconds: float) -> str:
    return clock.rfc3339_nano(int((time.time() - seconds) * 1e9))


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
