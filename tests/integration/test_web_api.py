"""The dashboard's JSON API and log stream over HTTP, against `python -m porthole.serve.web` on a test daemon: its
numbers are the exporter readers' numbers, its history follows a restarting container, its log stream is
the container's output; with a token, controls need a login and a CSRF token."""

import re
import time

import orjson
import pytest
import requests

from exporter.readers.cgroup import cgroup_paths_of_pid, read_cgroup
from exporter.readers.procfs import read_net_dev
from tests.support.waiting import wait_for
from tests.support.web import (
    BUSY,
    IDLE,
    LOGGER,
    RESTARTER,
    remove_containers,
    run_containers,
    start_web,
)
from web.columns import cgroup_columns, network_columns

pytestmark = pytest.mark.root

TOKEN = "integration-token-0123456789"


@pytest.fixture(scope="module")
def containers(daemon):
    client = daemon.client()
    started = {}
    try:
        started = run_containers(client)
        yield started
    finally:
        remove_containers(started)
        client.close()


@pytest.fixture(scope="module")
def web(daemon, containers, tmp_path_factory):
    server = start_web(daemon.host, tmp_path_factory.mktemp("web") / "web.log")
    try:
        yield server
    finally:
        assert server.stop() == 0, server.log.read_text()[-2000:]


def get(web, path: str, **params):
    response = requests.get(web.url + path, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_list_shows_every_container_with_dockers_state(web, containers):
    def listed():
        body = get(web, "/api/v1/containers")
        return {c["name"]: c for c in body["containers"]} if len(body["containers"]) == 4 else None

    shown = wait_for(listed, 15, what="four containers in the list")
    for name, container in containers.items():
        container.reload()
        assert shown[name]["id"] == container.id
        assert shown[name]["image"] == "busybox"
        if name != RESTARTER:
            assert shown[name]["state"] == container.status == "running"
            assert shown[name]["pid"] == container.attrs["State"]["Pid"]
    assert shown[RESTARTER]["restart_policy"] == "always"
    assert [c["name"] for c in get(web, "/api/v1/containers", filter="label:role=idle")["containers"]] == [IDLE]


def test_the_apis_numbers_are_the_exporter_readers_numbers(web, containers):
    """A paused container's counters stand still (but for packets the host sends it): a sample the API
    took between two identical reads by the exporter's readers must hold exactly their values."""
    busy = containers[BUSY]
    busy.pause()
    try:
        pid = busy.attrs["State"]["Pid"]

        def read_now() -> dict:
            stats, errors = read_cgroup(cgroup_paths_of_pid(pid), include_spec=False)
            assert errors == []
            interfaces, _ = read_net_dev(pid)
            return cgroup_columns(stats) | network_columns(interfaces) | {"pid": pid}

        def latest_after(moment: float) -> dict | None:
            latest = get(web, f"/api/v1/containers/{BUSY}")["latest"]
            return latest["columns"] if latest and latest["t"] > moment else None

        def bracketed() -> tuple[dict, dict] | None:
            before, moment = read_now(), time.time()
            sampled = wait_for(lambda: latest_after(moment), 10, what="a sample after the read")
            return (sampled, before) if read_now() == before else None  # nothing moved meanwhile

        sampled, expected = wait_for(bracketed, 30, what="a sample between two identical reads")
        assert sampled == expected
        assert sampled["cpu.usage_ns"] > 0 and sampled["memory.usage"] > 0 and "net.eth0.rx_bytes" in sampled
        assert get(web, f"/api/v1/containers/{BUSY}")["state"] == "paused"
    finally:
        busy.unpause()


def test_cpu_percent_of_the_busy_container_is_near_its_limit(web, containers):
    def busy_percent():
        (busy,) = get(web, "/api/v1/containers", filter=f"name:{BUSY}")["containers"]
        percent = busy["cpu_percent"] if busy["state"] == "running" else None
        return percent if percent and percent > 5 else None  # not the second after an unpause

    # --cpus 0.5: at most half a core; a loaded shared machine may give it less, an idle one not more
    assert wait_for(busy_percent, 15, what="a CPU % for the busy container") <= 60


def test_the_history_follows_a_restarting_container_across_its_processes(web, containers):
    def pids_seen():
        pids = {p for p in get(web, f"/api/v1/containers/{RESTARTER}/samples")["columns"].get("pid", []) if p}
        return pids if len(pids) >= 2 else None

    pids = wait_for(pids_seen, 40, what="samples from two lives of the restarter")
    assert all(pid > 1 for pid in pids)
    events = get(web, f"/api/v1/containers/{RESTARTER}/events")["events"]
    assert {"action": "die", "detail": "exit code 3"} in [{k: e[k] for k in ("action", "detail")} for e in events]


def test_samples_since_returns_only_newer_rows(web, containers):
    everything = get(web, f"/api/v1/containers/{IDLE}/samples")
    assert everything["t"] == sorted(everything["t"])
    newest = everything["t"][-1]
    wait_for(lambda: get(web, f"/api/v1/containers/{IDLE}/samples", since=newest)["t"], 10, what="a newer sample")
    assert all(t > newest for t in get(web, f"/api/v1/containers/{IDLE}/samples", since=newest)["t"])


def test_host_and_processes(web, containers):
    host = get(web, "/api/v1/host")
    assert host["engine"]["error"] is None
    assert host["cpus"] >= 1 and host["memory_bytes"] > 0
    assert host["sampler"]["history_seconds"] >= 900
    top = get(web, f"/api/v1/containers/{IDLE}/processes")
    assert any("sleep 100000" in " ".join(row) for row in top["processes"])


def sse_events(response, enough, deadline: float) -> list[dict]:
    """The data events of a text/event-stream response, until `enough(events)` or the deadline."""
    events, fields = [], {}
    for raw in response.iter_lines(decode_unicode=True):
        if raw == "":
            if "data" in fields:
                events.append(fields)
                if enough(events):
                    break
            fields = {}
        elif not raw.startswith(":"):
            key, _, value = raw.partition(": ")
            fields[key] = value
        if time.monotonic() > deadline:
            break
    return events


def test_the_log_stream_follows_the_containers_output(web, containers):
    started = time.time()
    url = f"{web.url}/api/v1/containers/{LOGGER}/logs"

    def both_streams(events) -> bool:
        return {orjson.loads(e["data"])["stream"] for e in events} == {"stdout", "stderr"}

    with requests.get(url, params={"tail": "0"}, stream=True, timeout=20) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        events = sse_events(response, both_streams, time.monotonic() + 20)
    assert both_streams(events)
    for event in events:
        line = orjson.loads(event["data"])
        assert int(event["id"]) / 1e9 >= started - 1  # printed after the request: tail=0 sent no history
        assert re.fullmatch(r"(tick|warn) \d+", line["text"])
        assert line["text"].startswith("tick" if line["stream"] == "stdout" else "warn")


def test_stderr_only_and_no_follow_ends_with_an_end_event(web, containers):
    url = f"{web.url}/api/v1/containers/{LOGGER}/logs"
    with requests.get(url, params={"tail": "10", "stdout": "0", "follow": "0"}, stream=True, timeout=20) as response:
        text = response.text
    assert text.rstrip().endswith("event: end\ndata: {}")
    data = [orjson.loads(line[6:]) for line in text.splitlines() if line.startswith('data: {"t"')]
    assert data and all(d["stream"] == "stderr" and d["text"].startswith("warn ") for d in data)


def test_python_m_web_main_refuses_a_public_address_without_a_token(daemon, tmp_path):
    import subprocess
    import sys

    from tests.support.daemon import REPO

    result = subprocess.run(
        [sys.executable, "-m", "porthole.serve.web", "-H", daemon.host, "--listen", "0.0.0.0:0"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("web: refusing to listen on 0.0.0.0:0: it is not a loopback address")


@pytest.fixture
def guarded_web(daemon, containers, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    server = start_web(daemon.host, tmp_path / "web.log", "--token-file", str(token_file), "--enable-controls")
    try:
        yield server
    finally:
        assert server.stop() == 0


def test_controls_need_a_login_and_the_csrf_token(guarded_web, containers):
    idle = containers[IDLE]
    session = requests.Session()
    login_page = session.get(f"{guarded_web.url}/containers/{IDLE}", timeout=10)
    assert login_page.url.startswith(f"{guarded_web.url}/login")
    assert session.get(f"{guarded_web.url}/api/v1/containers", timeout=10).status_code == 401

    logged_in = session.post(
        f"{guarded_web.url}/login", data={"token": TOKEN, "next": f"/containers/{IDLE}"}, timeout=10
    )
    assert logged_in.url == f"{guarded_web.url}/containers/{IDLE}"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', logged_in.text).group(1)

    refused = session.post(f"{guarded_web.url}/containers/{IDLE}/pause", timeout=10)
    assert refused.status_code == 403
    idle.reload()
    assert idle.status == "running"

    paused = session.post(f"{guarded_web.url}/containers/{IDLE}/pause", data={"csrf_token": csrf}, timeout=10)
    assert paused.status_code == 200 and "pause: web-idle" in paused.text  # the page after the redirect
    idle.reload()
    assert idle.status == "paused"

    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert (
        requests.post(
            f"{guarded_web.url}/containers/{IDLE}/unpause", headers=bearer, timeout=10, allow_redirects=False
        ).status_code
        == 303
    )
    idle.reload()
    assert idle.status == "running"
    assert requests.get(f"{guarded_web.url}/api/v1/host", headers=bearer, timeout=10).status_code == 200
