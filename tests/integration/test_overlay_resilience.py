"""An overlay when things go wrong: etcd away for 30 s (running traffic goes on, creation fails naming the store,
the hosts catch up after), a daemon killed with SIGKILL and restarted (its endpoints kept), a host cut off from the
store longer than its lease (it registers again; an address taken meanwhile stays the taker's), a host that
disappears (its endpoints gone from the others once its lease expires)."""

import contextlib
import json
import os
import signal
import time

import pytest

from tests.support.cluster import LEASE_TTL, UNDERLAY_IFNAME, cluster_of, ip
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]
OUTAGE = float(os.environ.get("PORTHOLE_ETCD_OUTAGE", "30"))


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


def resolves(host, container: str, name: str) -> bool:
    return host.docker("exec", container, "nslookup", name).returncode == 0


def pings(host, container: str, target: str) -> bool:
    return host.docker("exec", container, "ping", "-c1", "-W1", target).returncode == 0


def overlay(hosts, name: str, subnet: str) -> None:
    ok(hosts["a"].docker("network", "create", "-d", "overlay", "--subnet", subnet, name))
    for host in hosts.values():
        wait_for(lambda host=host: name in ok(host.docker("network", "ls")), 10, what=f"{name} everywhere")


def run(host, name: str, network: str) -> None:
    ok(host.docker("run", "-d", "--name", name, "--network", network, "busybox", "sleep", "900"))


def test_etcd_away_traffic_goes_on_creation_fails_clearly_and_hosts_catch_up(hosts, cluster):
    overlay(hosts, "steady", "10.60.0.0/24")
    run(hosts["a"], "xx", "steady")
    run(hosts["b"], "yy", "steady")
    run(hosts["b"], "leaver", "steady")
    wait_for(lambda: resolves(hosts["a"], "xx", "leaver"), 10, what="leaver's name on a")
    stopped_at = time.monotonic()
    cluster.etcd.stop()
    try:
        assert pings(hosts["a"], "xx", "yy") and pings(hosts["b"], "yy", "xx")
        refused = hosts["a"].docker("network", "create", "-d", "overlay", "another")
        assert refused.returncode != 0 and f"cluster store {cluster.etcd.url}".encode() in refused.stderr
        refused = hosts["a"].docker("run", "-d", "--network", "steady", "busybox", "true")
        assert refused.returncode != 0 and f"cluster store {cluster.etcd.url}".encode() in refused.stderr
        ok(hosts["b"].docker("rm", "-f", "leaver"))  # its endpoint cannot be withdrawn now
        while time.monotonic() - stopped_at < OUTAGE:
            assert pings(hosts["a"], "xx", "yy"), (
                f"traffic stopped {time.monotonic() - stopped_at:.1f} s into the outage"
            )
            time.sleep(2)
    finally:
        cluster.etcd.start()
    wait_for(lambda: not resolves(hosts["a"], "xx", "leaver"), 20, what="leaver gone from a after etcd returned")
    started = wait_for(
        lambda: (
            hosts["b"]
            .docker("run", "-d", "--name", "late", "--network", "steady", "busybox", "sleep", "900")
            .returncode
            == 0
        ),
        20,
        what="a start on b once etcd is back",
    )
    assert started
    wait_for(lambda: pings(hosts["a"], "xx", "late"), 10, what="late reachable by name from a")


def test_a_daemon_killed_and_restarted_keeps_its_endpoints(hosts, cluster):
    overlay(hosts, "kept", "10.61.0.0/24")
    run(hosts["a"], "here", "kept")
    run(hosts["b"], "there", "kept")
    wait_for(lambda: pings(hosts["a"], "here", "there"), 10, what="there from here")
    keys_before = cluster.etcd.keys("/porthole/v1/endpoints/")
    hosts["b"].daemon.kill(signal.SIGKILL)
    time.sleep(LEASE_TTL / 2)
    hosts["b"].daemon.start()
    time.sleep(LEASE_TTL)  # longer than the lease would have lived without the restart
    assert cluster.etcd.keys("/porthole/v1/endpoints/") == keys_before
    assert pings(hosts["a"], "here", "there") and pings(hosts["b"], "there", "here")
    run(hosts["a"], "newcomer", "kept")  # the restarted daemon follows the store again
    wait_for(lambda: pings(hosts["b"], "there", "newcomer"), 10, what="newcomer from the restarted host")


def address_on(host, container: str, network: str) -> str:
    template = f'{{{{with index .NetworkSettings.Networks "{network}"}}}}{{{{.IPAddress}}}}{{{{end}}}}'
    return ok(host.docker("inspect", "-f", template, container)).strip()


@contextlib.contextmanager
def cut_from_the_store(host, cluster):
    """The host loses etcd, not the underlay: its containers still reach the others' (a partition, not a crash).
    Every packet to etcd's client port is refused at once (a reset), as a broken link would be in the end."""
    rule = ["OUTPUT", "-d", cluster.etcd.address, "-p", "tcp", "--dport", cluster.etcd.endpoint.rsplit(":", 1)[1]]
    ok(host.run("iptables", "-I", *rule, "-j", "REJECT", "--reject-with", "tcp-reset"))
    try:
        yield
    finally:
        ok(host.run("iptables", "-D", *rule, "-j", "REJECT", "--reject-with", "tcp-reset"))


def test_a_host_cut_off_longer_than_its_lease_registers_again(hosts, cluster):
    """Split brain: b loses the store for longer than its lease, so the others expire its endpoints and c takes one
    of its addresses. Back in touch, b registers its live endpoints again under a new lease at the same addresses
    and the others reach them again; the container whose address was taken leaves the network, with an event and
    an error naming the address and the host that holds it."""
    a, b, c = hosts["a"], hosts["b"], hosts["c"]
    overlay(hosts, "split", "10.64.0.0/24")
    run(a, "anchor", "split")
    run(b, "islander", "split")
    run(b, "squatted", "split")
    wait_for(lambda: pings(a, "anchor", "islander") and pings(a, "anchor", "squatted"), 10, what="b's from a")
    islander_ip, squatted_ip = address_on(b, "islander", "split"), address_on(b, "squatted", "split")
    b_key = "/porthole/v1/hosts/" + (b.daemon.data_root / "engine-id").read_text().strip()
    lease_before = cluster.etcd.etcdctl("get", "-w", "json", b_key).stdout
    since = ok(b.run("date", "+%s")).strip()
    with cut_from_the_store(b, cluster):
        wait_for(lambda: b_key not in cluster.etcd.keys(b_key), LEASE_TTL + 15, what="b's lease expired")
        wait_for(lambda: not resolves(a, "anchor", "islander"), 15, what="islander expired on a")
        ok(
            c.docker(
                "run", "-d", "--name", "usurper", "--network", "split", "--ip", squatted_ip, "busybox", "sleep", "900"
            )
        )
    wait_for(lambda: b_key in cluster.etcd.keys(b_key), 15, what="b registered again")
    assert cluster.etcd.etcdctl("get", "-w", "json", b_key).stdout != lease_before  # a new lease
    wait_for(lambda: pings(a, "anchor", "islander"), 15, what="islander reachable from a again")
    assert address_on(b, "islander", "split") == islander_ip
    wait_for(lambda: address_on(b, "squatted", "split") == "", 15, what="squatted off the network")
    assert pings(a, "anchor", "usurper") and pings(b, "islander", "usurper")
    network_id = ok(a.docker("network", "inspect", "-f", "{{.Id}}", "split")).strip()
    c_id = (c.daemon.data_root / "engine-id").read_text().strip()
    # squatted's leaving withdrew its endpoint, not the address c holds
    assert cluster.etcd.get_json(f"/porthole/v1/ipam/{network_id}/{squatted_ip}")["host_id"] == c_id
    until = str(int(time.time()) + 1)
    events = ok(
        b.docker("events", "--since", since, "--until", until, "--filter", "type=network", "--format", "{{json .}}")
    )
    lost = [json.loads(line) for line in events.splitlines() if '"disconnect"' in line]
    assert [e["Actor"]["Attributes"]["container"] for e in lost if e["Actor"]["Attributes"]["name"] == "split"] == [
        ok(b.docker("inspect", "-f", "{{.Id}}", "squatted")).strip()
    ]
    assert f"{squatted_ip} on split is held by host host-c" in (b.daemon.root / "daemon.log").read_text()


def test_a_host_that_disappears_is_cleaned_from_the_others(hosts, cluster, busybox_rootfs):
    overlay(hosts, "fleet", "10.62.0.0/24")
    run(hosts["a"], "stay", "fleet")
    run(hosts["c"], "doomed", "fleet")
    wait_for(lambda: resolves(hosts["a"], "stay", "doomed"), 10, what="doomed's name on a")
    c = hosts["c"]
    c.daemon.kill(signal.SIGKILL)
    ip("-n", c.netns, "link", "set", UNDERLAY_IFNAME, "down")  # the machine is gone
    vanished_at = time.monotonic()
    wait_for(lambda: not resolves(hosts["a"], "stay", "doomed"), LEASE_TTL + 15, what="doomed gone from a")
    # not before its lease ran out: TTL after its last keep-alive, which came at most a third of it before the kill
    assert time.monotonic() - vanished_at >= LEASE_TTL * 2 / 3 - 0.5
    host_key = "/porthole/v1/hosts/" + (c.daemon.data_root / "engine-id").read_text().strip()
    assert host_key not in cluster.etcd.keys("/porthole/v1/hosts/")  # the host itself is gone from the store
    assert not [k for k in cluster.etcd.keys("/porthole/v1/endpoints/") if "doomed" in str(cluster.etcd.get_json(k))]
    ip("-n", c.netns, "link", "set", UNDERLAY_IFNAME, "up")
    c.daemon.start()  # back on the underlay only to be removed with all it made
    wait_for(lambda: host_key in cluster.etcd.keys("/porthole/v1/hosts/"), 10, what="host c joined again")
    cluster.remove_host("c")
