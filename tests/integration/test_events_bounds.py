"""`docker events` bounded in time: --until alone replays the past up to it and ends; --since after --until is
refused, as moby's getEvents does."""

import time

import pytest

pytestmark = pytest.mark.root


def test_until_alone_replays_the_past_events_and_ends(ph, client):
    ph.docker("create", "--name", "replayed", "busybox", "true", check=True)
    ph.docker("rm", "replayed", check=True)
    until = time.time()
    out = ph.docker(
        "events", "--until", str(until), "--filter", "container=replayed", "--format", "{{.Action}}", timeout=30
    )
    assert out.stdout.decode().splitlines() == ["create", "destroy"]
    replayed = client.events(until=until, filters={"container": "replayed"}, decode=True)
    assert [e["Action"] for e in replayed] == ["create", "destroy"]


def test_since_after_until_is_refused_with_mobys_words(ph, client):
    out = ph.docker("events", "--since", "20", "--until", "10")
    assert out.returncode == 1
    assert b"Error response from daemon: `since` time (20) cannot be after `until` time (10)" in out.stderr
