"""Several hosts on one map: a second "host" is a network namespace of this test's own, joined to this one
by a veth pair, with a server process of its own and a probe (`python -m web.topology.probe_main`) that
POSTs its reports across the veth to the app of the first host. A container of the first host talks to
the second host's server: the map draws the edge across the hosts."""

import secrets
import subprocess
import sys

import pytest
import requests

from tests.support.daemon import REPO, wait_for
from tests.support.topology import client_command
from tests.support.web import start_web

pytestmark = pytest.mark.root

REMOTE = "remote-b"
TOKEN = secrets.token_urlsafe(24)
SERVER_PORT = 8000


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def second_host():
    """The namespace, its veth to us (10.254.N.1 here, .2 there), and a server listening there."""
    tag = secrets.token_hex(3)
    netns, here, there = f"phtopo{tag}", f"vtpa{tag}", f"vtpb{tag}"
    subnet = 10 + int(tag, 16) % 200
    local, remote = f"10.254.{subnet}.1", f"10.254.{subnet}.2"
    server = None
    try:
        ip("netns", "add", netns)
        ip("link", "add", here, "type", "veth", "peer", "name", there)
        ip("link", "set", there, "netns", netns)
        ip("addr", "add", f"{local}/24", "dev", here)
        ip("link", "set", here, "up")
        ip("-n", netns, "addr", "add", f"{remote}/24", "dev", there)
        ip("-n", netns, "link", "set", there, "up")
        ip("-n", netns, "link", "set", "lo", "up")
        server = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", "http.server", str(SERVER_PORT), "--bind", remote],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
        )
        yield {"netns": netns, "local": local, "remote": remote}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        subprocess.run(["ip", "link", "del", here], capture_output=True)
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)


@pytest.fixture(scope="module")
def web(daemon, second_host, tmp_path_factory):
    server = start_web(
        daemon.host,
        tmp_path_factory.mktemp("web") / "web.log",
        "--listen",
        f"{second_host['local']}:0",
        f"--token={TOKEN}",  # one word: a urlsafe token may start with "-"
    )
    try:
        yield server
    finally:
        assert server.stop() == 0, server.log.read_text()[-2000:]


@pytest.fixture(scope="module")
def remote_probe(second_host, web, tmp_path_factory):
    log = tmp_path_factory.mktemp("probe") / "probe.log"
    process = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            second_host["netns"],
            sys.executable,
            "-m",
            "web.topology.probe_main",
            "--app",
            web.url,
            f"--token={TOKEN}",
            "--no-engine",
            "--host-id",
            REMOTE,
            "--interval",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),
        cwd=REPO,
    )
    try:
        yield process
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0, log.read_text()[-2000:]


@pytest.fixture(scope="module")
def talker(daemon, second_host):
    client = daemon.client()
    try:
        yield client.containers.run(
            "busybox",
            client_command(second_host["remote"], SERVER_PORT, poll=False),
            name="topo-remote-client",
            detach=True,
        )
    finally:
        daemon.remove_everything()
        client.close()


def api(web, path: str) -> dict:
    response = requests.get(web.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def labels(nodes: dict) -> dict[str, dict]:
    return {f"{n['label']} {n['labelMinor']}".strip(): n for n in nodes.values()}


def test_both_hosts_are_on_the_map(web, remote_probe):
    def hosts():
        found = {n["label"] for n in api(web, "/api/topology/hosts")["nodes"].values()}
        return found if REMOTE in found and len(found) == 2 else None

    wait_for(hosts, 20, interval=0.5, what="the second host's report")
    probes = api(web, "/api/probes")["probes"]
    assert REMOTE in [p["host"] for p in probes]


def test_a_container_of_one_host_talks_to_a_process_of_the_other(web, remote_probe, talker, second_host):
    def edge():
        nodes = api(web, "/api/topology/containers")["nodes"]
        client = next((n for n in nodes.values() if n["label"] == "topo-remote-client"), None)
        return client if client and f"{REMOTE};<uncontained>" in client["adjacency"] else None

    wait_for(edge, 30, interval=0.5, what="topo-remote-client -> the second host's uncontained processes")

    def process_edge():
        nodes = api(web, "/api/topology/processes")["nodes"]
        for node in nodes.values():
            for target in node["adjacency"]:
                server = nodes[target]
                if node["label"] == "nc" and server["id"].startswith(f"{REMOTE};"):
                    return server
        return None

    server = wait_for(process_edge, 30, interval=0.5, what="nc -> the http.server process of the second host")
    assert "http.server" in {m["id"]: m["value"] for m in server["metadata"]}["command"]

    hosts = api(web, "/api/topology/hosts")["nodes"]
    local = next(n for n in hosts.values() if n["label"] != REMOTE)
    assert f"{REMOTE};<host>" in local["adjacency"]
    # and the probe's own reports, from the second host to the app on the first, are an edge back
    assert local["id"] in hosts[f"{REMOTE};<host>"]["adjacency"]


def test_a_report_without_the_token_is_refused(web):
    response = requests.post(web.url + "/api/report", data=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 401
