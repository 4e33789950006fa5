"""macvlan and ipvlan networks on a parent link in the underlay of two hosts (tests/support/cluster.py): their
containers sit on the underlay's segment, reach each other and the other host, and, as the kernel has it, not
their own host; 802.1Q sub-interfaces are made on demand and removed with the network."""

import os

import pytest

from tests.support.cluster import UNDERLAY_IFNAME, cluster_of

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, busybox_rootfs):
    with cluster_of(tmp_path_factory.mktemp("cluster"), ("a", "b"), busybox_rootfs, with_store=False) as c:
        yield c


@pytest.fixture
def hosts(cluster):
    yield cluster.hosts
    cluster.remove_everything()


def ok(done) -> str:
    assert done.returncode == 0, done.stderr.decode() + done.stdout.decode()
    return done.stdout.decode()


def pings(host, container: str, address: str) -> bool:
    return host.docker("exec", container, "ping", "-c1", "-W1", address).returncode == 0


def segment(cluster, low: int) -> tuple[str, str]:
    """The underlay's /24 and a /28 of it for one host's containers."""
    prefix = cluster.underlay.address(0).rsplit(".", 1)[0]
    return f"{prefix}.0/24", f"{prefix}.{low}/28"


def create(host, cluster, name: str, low: int, *options: str) -> str:
    subnet, ip_range = segment(cluster, low)
    gateway = cluster.underlay.address(254)
    ok(
        host.docker(
            "network",
            "create",
            *options,
            "--subnet",
            subnet,
            "--ip-range",
            ip_range,
            "--gateway",
            gateway,
            "--aux-address",
            f"router={cluster.underlay.address(low)}",
            name,
        )
    )
    return ip_range


def test_macvlan_containers_reach_each_other_and_the_other_host_but_not_their_own(hosts, cluster):
    a, b = hosts["a"], hosts["b"]
    create(a, cluster, "mv", 16, "-d", "macvlan", "-o", f"parent={UNDERLAY_IFNAME}")
    create(b, cluster, "mv", 32, "-d", "macvlan", "-o", f"parent={UNDERLAY_IFNAME}")
    ok(a.docker("run", "-d", "--name", "m1", "--network", "mv", "busybox", "sleep", "600"))
    ok(
        b.docker(
            "run",
            "-d",
            "--name",
            "m2",
            "--network",
            "mv",
            "--ip",
            cluster.underlay.address(40),
            "busybox",
            "sleep",
            "600",
        )
    )
    m1 = ok(a.docker("inspect", "-f", "{{.NetworkSettings.Networks.mv.IPAddress}}", "m1")).strip()
    assert m1 == cluster.underlay.address(17)  # .16 is the range's first, kept by --aux-address
    assert pings(a, "m1", cluster.underlay.address(40))  # across the underlay to b's container
    assert pings(a, "m1", b.address)  # and to host b itself
    assert not pings(a, "m1", a.address)  # not to its own parent's host: the kernel's macvlan rule
    assert a.run("busybox", "ping", "-c1", "-W1", m1).returncode != 0
    assert b.run("busybox", "ping", "-c1", "-W1", m1).returncode == 0


def test_a_private_macvlan_keeps_its_containers_apart(hosts, cluster):
    a = hosts["a"]
    create(a, cluster, "mvp", 48, "-d", "macvlan", "-o", f"parent={UNDERLAY_IFNAME}", "-o", "macvlan_mode=private")
    for name in ("p1", "p2"):
        ok(a.docker("run", "-d", "--name", name, "--network", "mvp", "busybox", "sleep", "600"))
    p2 = ok(a.docker("inspect", "-f", "{{.NetworkSettings.Networks.mvp.IPAddress}}", "p2")).strip()
    assert not pings(a, "p1", p2)
    assert pings(a, "p1", hosts["b"].address)


def test_an_8021q_parent_is_made_on_demand_and_removed_with_the_network(hosts, cluster):
    a, b = hosts["a"], hosts["b"]
    parent = f"{UNDERLAY_IFNAME}.10"
    if a.run("ip", "link", "add", "link", UNDERLAY_IFNAME, "name", "probe.9", "type", "vlan", "id", "9").returncode:
        refused = a.docker("network", "create", "-d", "macvlan", "-o", f"parent={parent}", "vlan10")
        assert b"this kernel has no 802.1Q (VLAN) support" in refused.stderr
        assert a.run("ip", "link", "show", parent).returncode != 0  # nothing half-made
        pytest.skip("this kernel has no 802.1Q support: only the clear refusal is shown")
    a.run("ip", "link", "del", "probe.9")
    for host, low in ((a, 64), (b, 80)):
        create(host, cluster, "vlan10", low, "-d", "macvlan", "-o", f"parent={parent}")
        assert "vlan protocol 802.1Q id 10" in host.run("ip", "-d", "link", "show", parent).stdout.decode()
    ok(a.docker("run", "-d", "--name", "v1", "--network", "vlan10", "busybox", "sleep", "600"))
    ok(b.docker("run", "-d", "--name", "v2", "--network", "vlan10", "busybox", "sleep", "600"))
    v2 = ok(b.docker("inspect", "-f", "{{.NetworkSettings.Networks.vlan10.IPAddress}}", "v2")).strip()
    assert pings(a, "v1", v2)  # tagged frames through the underlay's switch
    assert not pings(a, "v1", b.address)  # host b's untagged address is on another VLAN
    ok(a.docker("rm", "-f", "v1"))
    ok(a.docker("network", "rm", "vlan10"))
    assert a.run("ip", "link", "show", parent).returncode != 0


def test_ipvlan_l2_and_l3(hosts, cluster):
    a, b = hosts["a"], hosts["b"]
    if a.run("ip", "link", "add", "link", UNDERLAY_IFNAME, "name", "probe.iv", "type", "ipvlan").returncode:
        subnet, _ = segment(cluster, 96)
        refused = a.docker(
            "network", "create", "-d", "ipvlan", "-o", f"parent={UNDERLAY_IFNAME}", "--subnet", subnet, "ipv"
        )
        assert b"network: driver ipvlan: this kernel has no ipvlan support" in refused.stderr
        assert b"ipv" not in a.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
        pytest.skip("this kernel has no ipvlan support: only the clear refusal at create is shown")
    a.run("ip", "link", "del", "probe.iv")
    create(a, cluster, "ipv", 96, "-d", "ipvlan", "-o", f"parent={UNDERLAY_IFNAME}")
    ok(a.docker("run", "-d", "--name", "i1", "--network", "ipv", "busybox", "sleep", "600"))
    assert pings(a, "i1", b.address)
    mac = ok(a.docker("exec", "i1", "cat", "/sys/class/net/eth0/address")).strip()
    assert mac == a.run("cat", f"/sys/class/net/{UNDERLAY_IFNAME}/address").stdout.decode().strip()
    ok(
        a.docker(
            "network",
            "create",
            "-d",
            "ipvlan",
            "-o",
            f"parent={UNDERLAY_IFNAME}",
            "-o",
            "ipvlan_mode=l3",
            "--subnet",
            "192.0.2.0/24",
            "l3net",
        )
    )
    for name in ("l3a", "l3b"):
        ok(a.docker("run", "-d", "--name", name, "--network", "l3net", "busybox", "sleep", "600"))
    l3b = ok(a.docker("inspect", "-f", "{{.NetworkSettings.Networks.l3net.IPAddress}}", "l3b")).strip()
    assert pings(a, "l3a", l3b)
