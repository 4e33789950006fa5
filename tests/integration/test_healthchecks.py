"""Healthchecks with the docker CLI and docker-py: every --health-* flag, --no-healthcheck and an image's
HEALTHCHECK; State.Health with the last five results; `docker ps` status and its health filter; health_status
events; probes killed at their timeout; the exporter's metric and the dashboard's mark."""

import json
import signal
import time

import docker
import pytest
import requests

from tests.support.exporter import exporter_process, scrape_until, value
from tests.support.waiting import wait_for
from tests.support.web import start_web

pytestmark = pytest.mark.root

SECONDS_NS = 1_000_000_000


def health(ph, name: str) -> dict:
    return json.loads(ph.docker("inspect", "-f", "{{json .State.Health}}", name).stdout)


def status_of(ph, name: str) -> str:
    return health(ph, name)["Status"]


def ps_status(ph, name: str) -> str:
    return ph.docker("ps", "-a", "--filter", f"name=^{name}$", "--format", "{{.Status}}").stdout.decode().strip()


def test_flags_take_a_container_from_starting_to_healthy_and_back_to_unhealthy(ph):
    ph.docker(
        "run", "-d", "--name", "web", "--health-cmd", "test -f /tmp/up", "--health-interval", "300ms",
        "--health-retries", "2", "--health-timeout", "2s", "busybox", "sleep", "300", check=True,
    )  # fmt: skip
    assert ps_status(ph, "web").endswith("(health: starting)")
    config = json.loads(ph.docker("inspect", "-f", "{{json .Config.Healthcheck}}", "web").stdout)
    assert config == {"Test": ["CMD-SHELL", "test -f /tmp/up"], "Interval": 300_000_000, "Timeout": 2 * SECONDS_NS,
                      "Retries": 2}  # fmt: skip
    wait_for(lambda: status_of(ph, "web") == "unhealthy", 20, what="two failures in a row")
    ph.docker("exec", "web", "touch", "/tmp/up", check=True)
    wait_for(lambda: status_of(ph, "web") == "healthy", 20, what="a success")
    assert ps_status(ph, "web").endswith("(healthy)")
    state = health(ph, "web")
    assert state["FailingStreak"] == 0 and state["Log"][-1]["ExitCode"] == 0
    fifth = wait_for(lambda: (log := health(ph, "web")["Log"]) and len(log) == 5 and log[-1]["End"], 20, what="five")
    wait_for(lambda: health(ph, "web")["Log"][-1]["End"] != fifth, 20, what="a sixth result")
    assert len(health(ph, "web")["Log"]) == 5  # the oldest went
    ph.docker("exec", "web", "rm", "/tmp/up", check=True)
    wait_for(lambda: status_of(ph, "web") == "unhealthy", 20, what="unhealthy again")
    assert ps_status(ph, "web").endswith("(unhealthy)")


def test_ps_filters_by_health(ph):
    ph.docker("run", "-d", "--name", "good", "--health-cmd", "true", "--health-interval", "200ms", "busybox",
              "sleep", "300", check=True)  # fmt: skip
    ph.docker("run", "-d", "--name", "bad", "--health-cmd", "false", "--health-interval", "200ms", "--health-retries",
              "1", "busybox", "sleep", "300", check=True)  # fmt: skip
    ph.docker("run", "-d", "--name", "plain", "busybox", "sleep", "300", check=True)
    wait_for(lambda: status_of(ph, "good") == "healthy" and status_of(ph, "bad") == "unhealthy", 20, what="both")

    def names(health_state: str) -> set[str]:
        out = ph.docker("ps", "--filter", f"health={health_state}", "--format", "{{.Names}}").stdout.decode()
        return set(out.split())

    assert (names("healthy"), names("unhealthy"), names("none"), names("starting")) == (
        {"good"}, {"bad"}, {"plain"}, set()
    )  # fmt: skip
    refused = ph.docker("ps", "--filter", "health=fine")
    assert refused.returncode == 1 and b"Unrecognised filter value for health: fine" in refused.stderr


def test_health_status_events(ph, client):
    since = time.time()
    ph.docker("run", "-d", "--name", "ev", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep",
              "300", check=True)  # fmt: skip
    wait_for(lambda: status_of(ph, "ev") == "healthy", 20, what="healthy")
    events = ph.docker(
        "events", "--since", str(since), "--until", str(time.time()), "--filter", "event=health_status",
        "--format", "{{.Action}} {{.Actor.Attributes.name}}",
    ).stdout.decode().splitlines()  # fmt: skip
    assert events == ["health_status: healthy ev"]


def test_each_probe_emits_exec_events_as_dockers_do(ph):
    since = time.time()
    ph.docker("run", "-d", "--name", "probed", "--health-cmd", "exit 3", "--health-interval", "300ms", "busybox",
              "sleep", "300", check=True)  # fmt: skip
    wait_for(lambda: len(health(ph, "probed")["Log"]) >= 2, 20, what="two probes")
    shown = ph.docker(
        "events", "--since", str(since), "--until", str(time.time()), "--filter", "container=probed",
        "--format", "{{.Action}}|{{.Actor.Attributes.execID}}|{{.Actor.Attributes.exitCode}}",
    ).stdout.decode().splitlines()  # fmt: skip
    probes = [line.split("|") for line in shown if line.startswith("exec_")]
    # Docker 20.10 (Debian's dockerd) for a probe: the command in create and start, the exit code in die
    first, second = probes[0:3], probes[3:6]
    assert [(action, code) for action, _, code in first] == [
        ("exec_create: /bin/sh -c exit 3", "<no value>"),
        ("exec_start: /bin/sh -c exit 3", "<no value>"),
        ("exec_die", "3"),
    ]
    assert len({exec_id for _, exec_id, _ in first}) == 1 and len(first[0][1]) == 64
    assert second[0][1] != first[0][1]  # an exec each


def test_a_probe_is_killed_at_its_timeout(ph):
    ph.docker("run", "-d", "--name", "slow", "--health-cmd", "sleep 77", "--health-timeout", "500ms",
              "--health-interval", "1s", "--health-retries", "1", "busybox", "sleep", "300", check=True)  # fmt: skip
    wait_for(lambda: status_of(ph, "slow") == "unhealthy", 20, what="a timed-out probe")
    result = health(ph, "slow")["Log"][0]
    assert (result["ExitCode"], result["Output"]) == (-1, "Health check exceeded timeout (500ms)")
    assert b"sleep 77" not in ph.docker("exec", "slow", "ps", "-o", "args").stdout  # killed, not left running


def test_failures_in_the_start_period_do_not_count_and_the_start_interval_is_used(ph):
    ph.docker("run", "-d", "--name", "boot", "--health-cmd", "false", "--health-interval", "3s",
              "--health-start-period", "2s", "--health-start-interval", "200ms", "--health-retries", "1",
              "busybox", "sleep", "300", check=True)  # fmt: skip
    # three probes inside a start period of 2 s: only the start interval (200 ms) gives them, not the 3 s interval
    wait_for(lambda: len(health(ph, "boot")["Log"]) >= 3, 20, what="probes at the start interval")
    during = health(ph, "boot")
    assert during["Status"] == "starting" and during["FailingStreak"] == 0  # inside the start period
    wait_for(lambda: status_of(ph, "boot") == "unhealthy", 30, what="a failure after the start period")


def test_an_images_healthcheck_applies_and_no_healthcheck_turns_it_off(ph, client, busybox_rootfs):
    change = "HEALTHCHECK --interval=200ms --retries=1 CMD test -f /etc/passwd"
    ph.docker("import", "-c", change, "-c", 'CMD ["sleep", "300"]', str(busybox_rootfs), "checked:1", check=True)
    try:
        ph.docker("run", "-d", "--name", "from-image", "checked:1", check=True)
        wait_for(lambda: status_of(ph, "from-image") == "healthy", 20, what="the image's check")
        # a flag overrides one field; the image gives the rest (moby's merge)
        ph.docker("run", "-d", "--name", "cmd-only", "--health-cmd", "false", "checked:1", check=True)
        wait_for(lambda: status_of(ph, "cmd-only") == "unhealthy", 20, what="the flag's command")
        ph.docker("run", "-d", "--name", "off", "--no-healthcheck", "checked:1", check=True)
        assert ph.docker("inspect", "-f", "{{json .State.Health}}", "off").stdout == b"null\n"
        assert "health" not in ps_status(ph, "off")
    finally:
        ph.docker("rm", "-f", "from-image", "cmd-only", "off")
        client.images.remove("checked:1")


def test_bad_healthcheck_settings_get_dockers_messages(ph, client):
    too_short = ph.docker("run", "--health-cmd", "true", "--health-interval", "500us", "busybox", "true")
    assert too_short.returncode == 125 and b"Interval in Healthcheck cannot be less than 1ms" in too_short.stderr
    with pytest.raises(docker.errors.APIError, match="Retries in Healthcheck cannot be negative"):
        client.containers.create("busybox", ["true"], healthcheck={"test": ["CMD", "true"], "retries": -1})
    assert ph.docker("ps", "-aq").stdout == b""


def test_docker_py_sees_the_health(client):
    container = client.containers.run(
        "busybox", ["sleep", "300"], detach=True, healthcheck={"test": ["CMD", "true"], "interval": 200_000_000}
    )
    wait_for(lambda: client.containers.get(container.id).health == "healthy", 20, what="healthy")


def test_health_goes_on_across_a_daemon_restart(ph):
    ph.docker("run", "-d", "--name", "kept", "--health-cmd", "test -f /tmp/up", "--health-interval", "200ms",
              "busybox", "sleep", "300", check=True)  # fmt: skip
    ph.docker("exec", "kept", "touch", "/tmp/up", check=True)
    wait_for(lambda: status_of(ph, "kept") == "healthy", 20, what="healthy")
    ph.kill(signal.SIGKILL)
    ph.start()
    assert status_of(ph, "kept") == "healthy"  # adopted with its health
    ph.docker("exec", "kept", "rm", "/tmp/up", check=True)
    wait_for(lambda: status_of(ph, "kept") == "unhealthy", 20, what="probes by the new daemon")


def test_the_health_log_is_kept_across_a_daemon_restart(ph):
    ph.docker("run", "-d", "--name", "logged", "--health-cmd", "echo probed", "--health-interval", "500ms",
              "busybox", "sleep", "300", check=True)  # fmt: skip
    wait_for(lambda: len(health(ph, "logged")["Log"]) == 5, 20, what="five results")
    fifth = health(ph, "logged")["Log"][-1]
    # a probe after the status last changed: state.json alone would not have it
    wait_for(lambda: health(ph, "logged")["Log"][-1] != fifth, 20, what="a later probe")
    before = health(ph, "logged")
    ph.kill(signal.SIGKILL)
    ph.start()
    after = health(ph, "logged")
    assert before["Log"][-1] in after["Log"]  # the new daemon may have probed once or twice since
    assert len(after["Log"]) == 5 and after["Status"] == "healthy" and after["FailingStreak"] == 0


def test_the_exporter_and_the_dashboard_show_the_health(ph, tmp_path):
    ph.docker("run", "-d", "--name", "watched", "--health-cmd", "true", "--health-interval", "200ms", "busybox",
              "sleep", "300", check=True)  # fmt: skip
    wait_for(lambda: status_of(ph, "watched") == "healthy", 20, what="healthy")
    with exporter_process(ph.host, tmp_path / "exporter.log") as port:
        samples = scrape_until(
            port,
            lambda s: value(s, "container_health_status", name="watched", status="healthy") == 1.0,
            what="the health metric",
        )
        assert value(samples, "container_health_status", name="watched", status="unhealthy") == 0.0
    server = start_web(ph.host, tmp_path / "web.log")
    try:
        listed = requests.get(f"{server.url}/api/v1/containers", timeout=10).json()
        (row,) = [c for c in listed["containers"] if c["name"] == "watched"]
        assert row["health"] == "healthy" and row["status"].endswith("(healthy)")
        page = requests.get(f"{server.url}/", timeout=10).text
        assert '<span class="health health-healthy" title="healthcheck">healthy</span>' in page
    finally:
        server.stop()
