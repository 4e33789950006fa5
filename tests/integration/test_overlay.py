"""Overlay networks across three hosts (tests/support/cluster.py), shown with the docker CLI: a network created
on one host is on every host; containers on different hosts reach each other by address and by name; addresses
stay unique when hosts allocate at the same moment; overlays are apart from each other; --internal; -p."""

import os
import threading

import pytest

from tests.support.cluster import cluster_of
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, busybox_rootfs):
    with cluster_of(tmp_path_factory.mktemp("cluster"), ("a", "b", "c"), busybox_rootfs) as c:
        yield c


@pytest.fixture
def hosts(cluster):
    yield cluster.hosts
    cluster.remove_everything()


def ok(done) -> str:
    assert done.returncode == 0, done.stderr.decode() + done.stdout.decode()
    return done.stdout.decode()


def address_of(host, container: str, network: str) -> str:
    return ok(
        host.docker("inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}', container)
    ).strip()


def network_on(host, name: str) -> dict | None:
    listing = ok(host.docker("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")).split("\n")
    return next((line.split() for line in listing if line.startswith(name + " ")), None)


def test_info_names_the_cluster_store_and_the_drivers(hosts, cluster):
    client = hosts["a"].daemon.client()
    try:
        info = client.info()
    finally:
        client.close()
    assert (info["ClusterStore"], info["ClusterAdvertise"]) == (cluster.etcd.url, "eth0:7946")
    assert {"overlay", "macvlan", "ipvlan"} <= set(info["Plugins"]["Network"])


def test_a_network_created_on_one_host_is_on_every_host(hosts):
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", "10.50.0.0/24", "--label", "x=y", "ov1"))
    for name in "bc":
        found = wait_for(lambda name=name: network_on(hosts[name], "ov1"), 10, what=f"ov1 on host {name}")
        assert found == ["ov1", "overlay", "global"]
    inspected = ok(hosts["c"].docker("network", "inspect", "-f", "{{.IPAM.Config}} {{.Labels}}", "ov1"))
    assert "10.50.0.0/24" in inspected and "map[x:y]" in inspected
    refused = hosts["b"].docker("network", "create", "-d", "overlay", "ov1")
    assert refused.returncode != 0 and b"already exists" in refused.stderr


def test_containers_on_different_hosts_reach_each_other_by_address_and_name(hosts):
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", "10.51.0.0/24", "ov2"))
    wait_for(lambda: network_on(hosts["b"], "ov2"), 10, what="ov2 on host b")
    ok(
        hosts["a"].docker(
            "run",
            "-d",
            "--name",
            "server",
            "--network",
            "ov2",
            "busybox",
            "sh",
            "-c",
            "while true; do echo hello-from-a | nc -l -p 7000; done",
        )
    )
    ok(hosts["b"].docker("run", "-d", "--name", "client", "--network", "ov2", "busybox", "sleep", "600"))
    server_ip = address_of(hosts["a"], "server", "ov2")
    client_ip = address_of(hosts["b"], "client", "ov2")
    assert server_ip != client_ip and server_ip.startswith("10.51.0.")
    ok(hosts["b"].docker("exec", "client", "ping", "-c1", "-W2", server_ip))
    ok(hosts["a"].docker("exec", "server", "ping", "-c1", "-W2", client_ip))
    ok(hosts["b"].docker("exec", "client", "ping", "-c1", "-W2", "server"))
    assert ok(hosts["b"].docker("exec", "client", "sh", "-c", "nc server 7000 </dev/null")).strip() == "hello-from-a"
    mtu = ok(hosts["b"].docker("exec", "client", "cat", "/sys/class/net/eth0/mtu")).strip()
    assert mtu == "1450"  # 1500 less VXLAN's 50 bytes


REPEATS = int(os.environ.get("PORTHOLE_OVERLAY_RACE_REPEATS", "50"))


def _start(client, barrier: threading.Barrier, started: dict, name: str) -> None:
    barrier.wait()
    started[name] = client.containers.run("busybox", "sleep 60", detach=True, network="ov3")


def test_hosts_starting_containers_at_the_same_moment_never_share_an_address(hosts):
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", "10.52.0.0/24", "ov3"))
    for name in "bc":
        wait_for(lambda name=name: network_on(hosts[name], "ov3"), 10, what=f"ov3 on host {name}")
    clients = {name: hosts[name].daemon.client() for name in "abc"}
    try:
        for round_ in range(REPEATS):
            started: dict[str, object] = {}
            barrier = threading.Barrier(2)

            racers = [threading.Thread(target=_start, args=(clients[n], barrier, started, n)) for n in "ab"]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(60)
            started["c"] = clients["c"].containers.run("busybox", "sleep 60", detach=True, network="ov3")
            addresses = {}
            for name, container in started.items():
                container.reload()
                addresses[name] = container.attrs["NetworkSettings"]["Networks"]["ov3"]["IPAddress"]
            assert len(set(addresses.values())) == 3, f"round {round_}: {addresses}"
            for container in started.values():
                container.remove(force=True)
    finally:
        for client in clients.values():
            client.close()


def test_two_overlays_are_apart(hosts):
    for name, subnet in (("red", "10.53.0.0/24"), ("blue", "10.54.0.0/24")):
        ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", subnet, name))
    wait_for(lambda: network_on(hosts["b"], "blue") and network_on(hosts["b"], "red"), 10, what="red, blue on b")
    ok(hosts["a"].docker("run", "-d", "--name", "red-a", "--network", "red", "busybox", "sleep", "600"))
    ok(hosts["b"].docker("run", "-d", "--name", "red-b", "--network", "red", "busybox", "sleep", "600"))
    ok(hosts["b"].docker("run", "-d", "--name", "blue-b", "--network", "blue", "busybox", "sleep", "600"))
    ok(hosts["a"].docker("run", "-d", "--name", "blue-a", "--network", "blue", "busybox", "sleep", "600"))
    ok(hosts["a"].docker("exec", "red-a", "ping", "-c1", "-W2", "red-b"))
    for target_host, target in ((hosts["b"], "blue-b"), (hosts["a"], "blue-a")):
        address = address_of(target_host, target, "blue")
        assert hosts["a"].docker("exec", "red-a", "ping", "-c1", "-W1", address).returncode != 0
    assert hosts["a"].docker("exec", "red-a", "nslookup", "blue-b").returncode != 0  # no name across overlays


def test_an_internal_overlay_reaches_its_members_only(hosts, cluster):
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--internal", "--subnet", "10.55.0.0/24", "inner"))
    wait_for(lambda: network_on(hosts["b"], "inner"), 10, what="inner on b")
    ok(hosts["a"].docker("run", "-d", "--name", "in-a", "--network", "inner", "busybox", "sleep", "600"))
    ok(hosts["b"].docker("run", "-d", "--name", "in-b", "--network", "inner", "busybox", "sleep", "600"))
    ok(hosts["a"].docker("exec", "in-a", "ping", "-c1", "-W2", "in-b"))
    assert hosts["a"].docker("exec", "in-a", "ping", "-c1", "-W1", cluster.etcd.address).returncode != 0


def test_an_overlay_container_goes_out_and_publishes_ports_on_its_host(hosts, cluster):
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", "10.56.0.0/24", "outward"))
    ok(
        hosts["a"].docker(
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            "outward",
            "-p",
            "8080:80",
            "busybox",
            "sh",
            "-c",
            "while true; do echo served-on-a | nc -l -p 80; done",
        )
    )
    # out through the gateway bridge: etcd's namespace on the underlay answers
    ok(hosts["a"].docker("exec", "web", "ping", "-c1", "-W2", cluster.etcd.address))
    listed = ok(
        hosts["a"].docker("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "web")
    )
    assert listed.split() == ["outward"]  # the way out is not one of its networks
    # host b's namespace (not a container) reaches the published port on host a's underlay address
    done = hosts["b"].run("busybox", "sh", "-c", f"nc {hosts['a'].address} 8080 </dev/null", timeout=20)
    assert done.stdout.decode().strip() == "served-on-a", done.stderr.decode()


def test_prune_keeps_an_overlay_another_host_uses(hosts):
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", "10.57.0.0/24", "shared"))
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", "10.58.0.0/24", "idle"))
    wait_for(lambda: network_on(hosts["b"], "shared") and network_on(hosts["b"], "idle"), 10, what="both on b")
    ok(hosts["b"].docker("run", "-d", "--name", "user", "--network", "shared", "busybox", "sleep", "600"))
    pruned = ok(hosts["a"].docker("network", "prune", "-f"))
    assert "idle" in pruned and "shared" not in pruned
    assert network_on(hosts["a"], "shared") and not network_on(hosts["a"], "idle")
    wait_for(lambda: not network_on(hosts["c"], "idle"), 10, what="idle gone from c too")


def test_the_data_path_is_a_vxlan_device_programmed_from_the_store(hosts, cluster):
    a, b = hosts["a"], hosts["b"]
    network_id = ok(a.docker("network", "create", "-d", "overlay", "--subnet", "10.59.0.0/24", "wired")).strip()
    ok(a.docker("run", "-d", "--name", "wa", "--network", "wired", "busybox", "sleep", "600"))
    ok(b.docker("run", "-d", "--name", "wb", "--network", "wired", "busybox", "sleep", "600"))
    vni = cluster.etcd.get_json(f"/porthole/v1/networks/{network_id}")["vni"]
    device = f"vx-{network_id[:12]}"
    overlay_ns = a.daemon.exec_root / "netns" / f"ov-{network_id[:12]}"  # the overlay's own, as Docker's 1-<id>

    def in_overlay(*argv: str) -> str:
        return a.run("nsenter", f"--net={overlay_ns}", *argv).stdout.decode()

    assert device not in a.run("ip", "link").stdout.decode()  # bridged frames never meet the host's iptables
    shown = in_overlay("ip", "-d", "link", "show", device)
    details = next(line.strip() + " " for line in shown.splitlines() if line.strip().startswith("vxlan id"))
    for fact in (f"vxlan id {vni} ", f"local {a.address} ", "dstport 4789 ", "nolearning ", "proxy "):
        assert fact in details, (fact, details)
    assert " group " not in details and " remote " not in details  # no multicast group, no flood destination
    assert in_overlay("ip", "-o", "link", "show", "type", "bridge").strip() == ""  # no bridge, no veth
    sandbox = ok(a.docker("inspect", "-f", "{{.NetworkSettings.SandboxKey}}", "wa")).strip()
    link = a.run("nsenter", f"--net={sandbox}", "ip", "-d", "link", "show", "eth0").stdout.decode()
    assert "macvlan mode bridge " in link  # a macvlan of the device, made straight in the container
    wb_mac = ok(b.docker("inspect", "-f", "{{.NetworkSettings.Networks.wired.MacAddress}}", "wb")).strip()
    wb_ip = address_of(b, "wb", "wired")

    def programmed():
        fdb = in_overlay("bridge", "fdb", "show", "dev", device)
        neigh = in_overlay("ip", "neigh", "show", "dev", device)
        return f"{wb_mac} dst {b.address} " in fdb and f"{wb_ip} lladdr {wb_mac} PERMANENT" in neigh

    wait_for(programmed, 10, what="wb's forwarding and neighbour entries on host a")
    assert "00:00:00:00:00:00" not in in_overlay("bridge", "fdb", "show", "dev", device)  # no flooding
    ok(b.docker("rm", "-f", "wb"))
    wait_for(lambda: wb_mac not in in_overlay("bridge", "fdb", "show", "dev", device), 10,
             what="wb's entry gone from host a")  # fmt: skip
    ok(a.docker("rm", "-f", "wa"))
    ok(a.docker("network", "rm", "wired"))
    assert not overlay_ns.exists()


def test_gateway_ip_range_attachable_and_mtu_options_hold_on_every_host(hosts):
    a, b = hosts["a"], hosts["b"]
    ok(
        a.docker(
            "network",
            "create",
            "-d",
            "overlay",
            "--subnet",
            "10.60.0.0/24",
            "--gateway",
            "10.60.0.254",
            "--ip-range",
            "10.60.0.128/25",
            "--attachable",
            "-o",
            "com.docker.network.driver.mtu=1400",
            "tuned",
        )
    )
    wait_for(lambda: network_on(b, "tuned"), 10, what="tuned on b")
    seen = ok(b.docker("network", "inspect", "-f", "{{json .IPAM.Config}} {{.Attachable}} {{json .Options}}", "tuned"))
    assert '"Gateway":"10.60.0.254"' in seen and '"IPRange":"10.60.0.128/25"' in seen and " true " in seen
    ok(b.docker("run", "-d", "--name", "tb", "--network", "tuned", "busybox", "sleep", "600"))
    assert address_of(b, "tb", "tuned").startswith("10.60.0.1")  # .128-.255, never the gateway
    assert ok(b.docker("exec", "tb", "cat", "/sys/class/net/eth0/mtu")).strip() == "1350"  # 1400 less VXLAN's 50


def test_the_daemons_mtu_sets_its_overlays(cluster, busybox_rootfs):
    small = cluster.add_host("d", 4, busybox_rootfs, extra_args=("--mtu", "1400"))
    try:
        ok(small.docker("network", "create", "-d", "overlay", "--subnet", "10.61.0.0/24", "narrow"))
        mtu = ok(small.docker("run", "--rm", "--network", "narrow", "busybox", "cat", "/sys/class/net/eth0/mtu"))
        assert mtu.strip() == "1350"
    finally:
        small.daemon.remove_everything()
        cluster.remove_host("d")


def test_a_running_container_connected_to_an_overlay_reaches_the_other_host(hosts):
    a, b = hosts["a"], hosts["b"]
    ok(a.docker("network", "create", "-d", "overlay", "--subnet", "10.62.0.0/24", "later"))
    wait_for(lambda: network_on(b, "later"), 10, what="later on b")
    ok(b.docker("run", "-d", "--name", "far", "--network", "later", "busybox", "sleep", "600"))
    ok(a.docker("network", "create", "local-only"))
    ok(a.docker("run", "-d", "--name", "near", "--network", "local-only", "busybox", "sleep", "600"))
    assert a.docker("exec", "near", "ping", "-c1", "-W1", "far").returncode != 0
    ok(a.docker("network", "connect", "later", "near"))
    ok(a.docker("exec", "near", "ping", "-c1", "-W2", "far"))
    assert "eth1" in ok(a.docker("exec", "near", "ip", "-o", "link"))
    ok(a.docker("network", "disconnect", "later", "near"))
    assert "eth1" not in ok(a.docker("exec", "near", "ip", "-o", "link"))  # its macvlan went with the endpoint
    wait_for(lambda: b.docker("exec", "far", "nslookup", "near").returncode != 0, 10, what="near gone from far's DNS")


def test_a_cluster_store_list_fails_over_to_the_member_that_answers(cluster, busybox_rootfs):
    unanswered = cluster.underlay.address(249)  # nothing there: the first member never answers
    stores = f"etcd://{unanswered}:2379,{cluster.etcd.endpoint}"
    host = cluster.add_host("e", 5, busybox_rootfs, extra_args=("--cluster-store", stores))
    try:
        ok(host.docker("network", "create", "-d", "overlay", "--subnet", "10.63.0.0/24", "failover"))
        wait_for(lambda: network_on(cluster.hosts["a"], "failover"), 20, what="failover on host a")
        client = host.daemon.client()
        try:
            assert client.info()["ClusterStore"] == stores
        finally:
            client.close()
    finally:
        host.daemon.remove_everything()
        cluster.remove_host("e")
