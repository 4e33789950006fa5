"""The multi-host harness itself (tests/support/cluster.py): hosts in namespaces of their own on an underlay,
etcd on it, a daemon per host started with nsenter, each with its own names; all of it gone afterwards."""

import os
import subprocess

import pytest

from tests.support.cluster import cluster_of
from tests.support.daemon import CGROUP_ROOT, NETNS_DIR

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, busybox_rootfs):
    with cluster_of(tmp_path_factory.mktemp("cluster"), ("a", "b"), busybox_rootfs, with_store=False) as c:
        yield c


def test_each_host_runs_containers_in_its_own_namespace(cluster):
    a, b = cluster.hosts["a"], cluster.hosts["b"]
    assert a.daemon.socket != b.daemon.socket
    assert a.daemon.bridge != b.daemon.bridge and a.daemon.cgroup_parent != b.daemon.cgroup_parent
    # the default bridge of each daemon is in that host's namespace, not in the machine's
    assert a.run("ip", "link", "show", a.daemon.bridge).returncode == 0
    assert subprocess.run(["ip", "link", "show", a.daemon.bridge], capture_output=True).returncode != 0
    # a container of host a reaches host b's underlay address through a's bridge and the underlay
    done = a.docker("run", "--rm", "busybox", "ping", "-c1", "-W2", b.address, timeout=60)
    assert done.returncode == 0, done.stderr.decode() + done.stdout.decode()


def test_etcd_answers_on_the_underlay(cluster):
    a = cluster.hosts["a"]
    cluster.etcd.etcdctl("put", "/harness/probe", "yes")
    done = a.run(
        "env", "ETCDCTL_API=3", "etcdctl", f"--endpoints=http://{cluster.etcd.endpoint}", "get", "/harness/probe"
    )
    assert done.stdout.decode().split() == ["/harness/probe", "yes"], done.stderr.decode()


def test_a_removed_host_leaves_nothing(cluster, busybox_rootfs):
    extra = cluster.add_host("c", 3, busybox_rootfs)
    extra.docker("run", "-d", "--name", "idle", "busybox", "sleep", "600", check=True)
    cgroups = [p / extra.daemon.cgroup_parent for p in CGROUP_ROOT.iterdir()]
    cluster.remove_host("c")
    assert not (NETNS_DIR / extra.netns).exists()
    assert not extra.daemon.root.exists()
    assert not [c for c in cgroups if c.exists()]
