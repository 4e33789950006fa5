"""The topology map across hosts: the app runs on host a (in its namespace, on the underlay), a probe on host b
reports to it across the underlay, and a container of host a talking to one of host b by name over an overlay
is an edge between the two hosts' containers, joined by the overlay address."""

import json
import os
import secrets
import subprocess
import sys

import pytest

from tests.support.cluster import cluster_of, in_netns
from tests.support.daemon import NETNS_DIR, REPO
from tests.support.topology import client_command
from tests.support.waiting import wait_for
from tests.support.web import start_web

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]
TOKEN = secrets.token_urlsafe(24)


def on_host(host) -> list[str]:
    return [
        "nsenter",
        f"--net={NETNS_DIR / host.netns}",
        "unshare",
        "--uts",
        "sh",
        "-c",
        'hostname "$0" && exec "$@"',
        f"host-{host.name}",
    ]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, busybox_rootfs):
    with cluster_of(tmp_path_factory.mktemp("cluster"), ("a", "b"), busybox_rootfs) as c:
        yield c


@pytest.fixture(scope="module")
def web(cluster, tmp_path_factory):
    a = cluster.hosts["a"]
    server = start_web(
        a.daemon.host,
        tmp_path_factory.mktemp("web") / "web.log",
        "--listen",
        f"{a.address}:0",
        f"--token={TOKEN}",
        prefix=on_host(a),
    )
    try:
        yield server
    finally:
        assert server.stop() == 0, server.log.read_text()[-2000:]


@pytest.fixture(scope="module")
def probe_b(cluster, web, tmp_path_factory):
    b = cluster.hosts["b"]
    log = tmp_path_factory.mktemp("probe") / "probe.log"
    process = subprocess.Popen(
        [
            *on_host(b),
            sys.executable,
            "-m",
            "web.topology.probe_main",
            "--app",
            web.url,
            f"--token={TOKEN}",
            "-H",
            b.daemon.host,
            "--host-id",
            "host-b",
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


def api(cluster, web, path: str) -> dict:
    done = in_netns(cluster.hosts["a"].netns, "curl", "-sf", "-H", f"Authorization: Bearer {TOKEN}", web.url + path)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def test_a_cross_host_edge_over_an_overlay(cluster, web, probe_b):
    a, b = cluster.hosts["a"], cluster.hosts["b"]
    a.docker("network", "create", "-d", "overlay", "--subnet", "10.70.0.0/24", "mapnet", check=True)
    wait_for(lambda: b"mapnet" in b.docker("network", "ls").stdout, 10, what="mapnet on b")
    b.docker(
        "run",
        "-d",
        "--name",
        "mapserver",
        "--network",
        "mapnet",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www",
        check=True,
    )
    a.docker(
        "run",
        "-d",
        "--name",
        "mapclient",
        "--network",
        "mapnet",
        "busybox",
        *client_command("mapserver", 80, poll=False),
        check=True,
    )

    def edge():
        nodes = api(cluster, web, "/api/topology/containers")["nodes"]
        client = next((n for n in nodes.values() if n["label"] == "mapclient"), None)
        server = next((n for n in nodes.values() if n["label"] == "mapserver"), None)
        return (client, server) if client and server and server["id"] in client["adjacency"] else None

    client, server = wait_for(edge, 45, interval=1.0, what="mapclient (host a) -> mapserver (host b)")
    assert client["id"].split(";")[0] != server["id"].split(";")[0]  # two hosts
    metadata = {m["id"]: m["value"] for m in server["metadata"]}
    assert "10.70.0." in json.dumps(metadata)
