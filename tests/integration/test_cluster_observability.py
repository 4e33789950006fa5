"""Observability across hosts: each host's daemon serves its metrics with --exporter, `porthole sd` writes file-SD
targets for every host in the cluster store, and one real Prometheus (in a namespace on the underlay) scrapes all
three, every series labelled with its host (by the exporter itself: a target without labels too). A host that
leaves drops out of the targets."""

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse

import pytest

from tests.support.cluster import cluster_of, in_netns
from tests.support.daemon import NETNS_DIR, REPO
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]
METRICS_PORT = 9323
PROMETHEUS_PORT = 9090
WEB_PORT = 8080
TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, busybox_rootfs):
    args = ("--metrics-addr", f"0.0.0.0:{METRICS_PORT}", "--exporter", "--web", f"0.0.0.0:{WEB_PORT}")
    env = {"PORTHOLE_WEB_TOKEN": TOKEN}
    with cluster_of(
        tmp_path_factory.mktemp("cluster"), ("a", "b", "c"), busybox_rootfs, daemon_args=args, daemon_env=env
    ) as c:
        yield c


def sd(cluster, output, *more: str) -> subprocess.CompletedProcess:
    """`porthole sd` from the etcd namespace (any place on the underlay would do)."""
    command = [sys.executable, "-m", "porthole.cli.main", "sd", "--cluster-store", cluster.etcd.url, "--output"]
    return subprocess.run(
        ["nsenter", f"--net={NETNS_DIR / cluster.etcd.netns}", *command, str(output), *more],
        capture_output=True,
        cwd=REPO,
        timeout=60,
    )


def test_sd_writes_one_target_per_host(cluster, tmp_path):
    output = tmp_path / "targets.json"
    done = sd(cluster, output, "--once")
    assert done.returncode == 0, done.stderr.decode()
    written = json.loads(output.read_text())
    assert sorted(t["labels"]["host"] for t in written) == ["host-a", "host-b", "host-c"]
    addresses = {t["labels"]["host"]: t["targets"] for t in written}
    assert addresses["host-a"] == [f"{cluster.hosts['a'].address}:{METRICS_PORT}"]
    assert oct(output.stat().st_mode & 0o777) == "0o644"


def test_one_prometheus_scrapes_every_host(cluster, tmp_path):
    for name in "abc":
        cluster.hosts[name].docker("run", "-d", "--name", f"job-{name}", "busybox", "sleep", "600", check=True)
    targets = tmp_path / "targets.json"
    assert sd(cluster, targets, "--once").returncode == 0
    config = {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [
            # as dashboards/prometheus.yml's cluster job: the exporter's own host label stands
            {"job_name": "porthole", "honor_labels": True, "file_sd_configs": [{"files": [str(targets)]}]},
            # a target that says nothing of its host: the series still do
            {
                "job_name": "unlabelled",
                "static_configs": [{"targets": [f"{cluster.hosts['a'].address}:{METRICS_PORT}"]}],
            },
        ],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))
    listen = f"{cluster.etcd.address}:{PROMETHEUS_PORT}"
    log = open(tmp_path / "prometheus.log", "wb")
    process = subprocess.Popen(
        [
            "nsenter",
            f"--net={NETNS_DIR / cluster.etcd.netns}",
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address={listen}",
        ],
        stdout=log,
        stderr=log,
    )

    def query(expression: str) -> list[dict]:
        url = f"http://{listen}/api/v1/query?query={urllib.parse.quote(expression)}"
        done = in_netns(cluster.etcd.netns, "curl", "-sf", url)
        return json.loads(done.stdout)["data"]["result"] if done.returncode == 0 else []

    try:
        up = wait_for(
            lambda: (r := query('up{job="porthole"} == 1')) and len(r) == 3 and r,
            60,
            interval=0.5,
            what="three hosts up in Prometheus",
        )
        assert sorted(s["metric"]["host"] for s in up) == ["host-a", "host-b", "host-c"]
        seen = wait_for(
            lambda: (r := query('container_last_seen{job="porthole", name=~"job-.*"}')) and len(r) == 3 and r,
            60,
            interval=0.5,
            what="each host's container in Prometheus",
        )
        assert {s["metric"]["name"]: s["metric"]["host"] for s in seen} == {
            "job-a": "host-a",
            "job-b": "host-b",
            "job-c": "host-c",
        }
        assert not [s for s in seen if "exported_host" in s["metric"]]
        unlabelled = wait_for(
            lambda: query('machine_cpu_cores{job="unlabelled"}'), 60, interval=0.5, what="the unlabelled target"
        )
        assert [s["metric"]["host"] for s in unlabelled] == ["host-a"]
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def page(cluster, url: str) -> str:
    done = in_netns(cluster.hosts["a"].netns, "curl", "-sf", "-H", f"Authorization: Bearer {TOKEN}", url)
    return done.stdout.decode() if done.returncode == 0 else ""


def test_the_dashboard_lists_the_hosts_and_shows_each_ones_containers(cluster):
    a, b = cluster.hosts["a"], cluster.hosts["b"]
    b.docker("run", "-d", "--name", "only-on-b", "busybox", "sleep", "600", check=True)
    a_url = f"http://{a.address}:{WEB_PORT}"
    overview = wait_for(
        lambda: (html := page(cluster, f"{a_url}/")) and "host-c" in html and html,
        30,
        what="the cluster's hosts on host a's dashboard",
    )
    assert "Cluster hosts" in overview and all(f"host-{n}" in overview for n in "abc")
    rows = dict(re.findall(r'<td class="name">(host-\w)[^<]*(?:<small>[^<]*</small>)?</td>(.*?)</tr>', overview, re.S))
    assert f'href="http://{b.address}:{WEB_PORT}/"' in rows["host-b"]  # its own dashboard, still
    assert 'class="host-containers"' not in rows["host-a"]  # this host's are the list below
    inside = re.search(r'class="host-containers" href="([^"]+)"', rows["host-b"]).group(1)
    assert inside.startswith("/hosts/")
    # host b's containers, served by host a's dashboard (read from b's exporter over the underlay)
    shown = wait_for(
        lambda: "only-on-b" in (html := page(cluster, a_url + inside)) and html, 30, what="host b's container on a"
    )
    assert "Containers of host-b" in shown and "busybox" in shown
    listing = json.loads(page(cluster, f"{a_url}/api/v1{inside}/containers"))
    assert listing["error"] is None and listing["host"]["Name"] == "host-b"
    assert "only-on-b" in [c["name"] for c in listing["containers"]]
    assert all(c["name"] != "only-on-b" for c in json.loads(page(cluster, f"{a_url}/api/v1/containers"))["containers"])


def test_a_host_that_leaves_drops_out_of_the_targets(cluster, tmp_path, busybox_rootfs):
    output = tmp_path / "targets.json"
    follower = subprocess.Popen(
        [
            "nsenter",
            f"--net={NETNS_DIR / cluster.etcd.netns}",
            sys.executable,
            "-m",
            "porthole.cli.main",
            "sd",
            "--cluster-store",
            cluster.etcd.url,
            "--output",
            str(output),
            "--interval",
            "0.5",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        hosts = lambda: sorted(t["labels"]["host"] for t in json.loads(output.read_text())) if output.exists() else []  # noqa: E731
        wait_for(lambda: hosts() == ["host-a", "host-b", "host-c"], 20, what="three targets")
        cluster.remove_host("c")
        started = time.monotonic()
        wait_for(lambda: hosts() == ["host-a", "host-b"], 30, what="host-c gone from the targets")
        assert time.monotonic() - started < 30
    finally:
        follower.terminate()
        assert follower.wait(timeout=20) == 0
