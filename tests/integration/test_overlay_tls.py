"""The cluster store over TLS (--cluster-store-opt kv.cacertfile, kv.certfile, kv.keyfile): etcd's client port
asks for client certificates; two hosts with theirs share an overlay, and `porthole sd` reads the hosts with
the same options; a daemon without them is refused by etcd, and says so naming the store."""

import json
import os
import subprocess
import sys

import pytest

from tests.support.cluster import cluster_of
from tests.support.daemon import NETNS_DIR, REPO, TestDaemon
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, busybox_rootfs):
    with cluster_of(tmp_path_factory.mktemp("cluster"), ("a", "b"), busybox_rootfs, tls=True) as c:
        yield c


def test_hosts_share_an_overlay_over_tls(cluster):
    a, b = cluster.hosts["a"], cluster.hosts["b"]
    a.docker("network", "create", "-d", "overlay", "--subnet", "10.80.0.0/24", "secure", check=True)
    wait_for(lambda: b"secure" in b.docker("network", "ls").stdout, 10, what="the network on b")
    a.docker("run", "-d", "--name", "ta", "--network", "secure", "busybox", "sleep", "600", check=True)
    b.docker("run", "-d", "--name", "tb", "--network", "secure", "busybox", "sleep", "600", check=True)
    done = b.docker("exec", "tb", "ping", "-c1", "-W2", "ta")
    assert done.returncode == 0, done.stderr.decode()
    plain = b.run("env", "ETCDCTL_API=3", "etcdctl", f"--endpoints=http://{cluster.etcd.endpoint}", "get", "x")
    assert plain.returncode != 0  # no plain-text client gets in


def test_sd_reads_the_hosts_over_tls(cluster, tmp_path):
    output = tmp_path / "targets.json"
    done = subprocess.run(
        ["nsenter", f"--net={NETNS_DIR / cluster.etcd.netns}", sys.executable, "-m", "porthole.cli.main", "sd",
         "--cluster-store", cluster.etcd.url, *cluster.tls_args(), "--output", str(output), "--once"],
        capture_output=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(output.read_text()) == []  # these daemons serve no metrics: no targets, but no error


def test_a_daemon_without_a_client_certificate_names_the_store(cluster, tmp_path):
    stranger = TestDaemon(
        tmp_path / "stranger",
        netns=cluster.hosts["a"].netns,
        extra_args=(
            "--cluster-store", cluster.etcd.url, "--cluster-advertise", "eth0:7946",
            "--cluster-store-opt", f"kv.cacertfile={cluster.etcd.tls.ca}",
        ),
    )  # fmt: skip
    try:
        stranger.start()
        refused = stranger.docker("network", "create", "-d", "overlay", "nope")
        assert refused.returncode != 0
        assert f"cluster store {cluster.etcd.url}".encode() in refused.stderr, refused.stderr
    finally:
        stranger.stop()
