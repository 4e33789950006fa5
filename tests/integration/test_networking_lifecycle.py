"""Network modes and the life of a container's network through the daemon (issue 3): none, host, internal,
outbound NAT rules, what `rm` takes away (veth, address, DNS name, rules), and how addresses are handed out."""

import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

SLEEPER = ("busybox", "sleep", "300")


def run_detached(ph, *args: str) -> str:
    return ph.docker("run", "-d", *args, check=True).stdout.decode().strip()


def iptables_save() -> str:
    return subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout


def our_rules(ph) -> list[str]:
    return [line for line in iptables_save().splitlines() if ph.chain_prefix in line]


def host_links() -> dict[int, str]:
    """ifindex -> name of the host's links."""
    return {
        index: name.name for name in Path("/sys/class/net").iterdir() if (index := int((name / "ifindex").read_text()))
    }


def in_container(ph, container: str, command: str) -> str:
    return ph.docker("exec", container, "sh", "-c", command, check=True).stdout.decode()


def settings(client, container: str) -> dict:
    return client.containers.get(container).attrs["NetworkSettings"]


def test_network_none_has_only_loopback(ph, client):
    links = ph.docker("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net", check=True)
    assert links.stdout.split() == [b"lo"]
    ping = ph.docker("run", "--rm", "--network", "none", "busybox", "ping", "-c1", "-W1", "127.0.0.1")
    assert ping.returncode == 0, ping.stderr  # lo is up
    run_detached(ph, "--name", "isolated", "--network", "none", *SLEEPER)
    networks = settings(client, "isolated")["Networks"]
    assert list(networks) == ["none"] and networks["none"]["IPAddress"] == ""
    assert client.containers.get("isolated").stats(stream=False).get("networks", {}) == {}


def test_network_host_sees_the_hosts_interfaces_and_name(ph, client):
    shown = (
        ph.docker("run", "--rm", "--network", "host", "busybox", "sh", "-c", "ls /sys/class/net; hostname", check=True)
        .stdout.decode()
        .split()
    )
    assert ph.bridge in shown  # the daemon's bridge, which only the host's namespace has
    assert shown[-1] == socket.gethostname()
    run_detached(ph, "--name", "on-host", "--network", "host", *SLEEPER)
    assert list(settings(client, "on-host")["Networks"]) == ["host"]
    # no interfaces of its own: Docker reports no counters rather than the host's
    assert client.containers.get("on-host").stats(stream=False).get("networks", {}) == {}


def test_internal_network_has_no_default_route_and_no_nat(ph, client):
    ph.docker("network", "create", "--internal", "sealed", check=True)
    run_detached(ph, "--name", "inside", "--network", "sealed", *SLEEPER)
    routes = in_container(ph, "inside", "ip route")
    assert "default" not in routes
    subnet = client.networks.get("sealed").attrs["IPAM"]["Config"][0]["Subnet"]
    assert subnet in routes  # the link route of its own subnet remains
    assert client.networks.get("sealed").attrs["Internal"] is True
    assert not any(f"-s {subnet}" in rule and "MASQUERADE" in rule for rule in our_rules(ph))
    published = ph.docker("run", "--rm", "--network", "sealed", "busybox", "ip", "route", check=True).stdout
    assert b"default" not in published


def test_each_network_has_a_masquerade_rule_and_containers_reach_their_gateway(ph, client):
    ph.docker("network", "create", "--driver", "bridge", "outbound", check=True)
    default = client.networks.get("bridge").attrs  # made from the daemon's --bridge and --bip
    assert default["IPAM"]["Config"] == [{"Subnet": f"10.{ph.octet}.0.0/24", "Gateway": f"10.{ph.octet}.0.1"}]
    assert default["Options"]["com.docker.network.bridge.name"] == ph.bridge
    run_detached(ph, "--name", "on-bridge", *SLEEPER)
    run_detached(ph, "--name", "on-outbound", "--network", "outbound", *SLEEPER)
    rules = our_rules(ph)
    for container, network in (("on-bridge", "bridge"), ("on-outbound", "outbound")):
        attrs = client.networks.get(network).attrs
        subnet, gateway = attrs["IPAM"]["Config"][0]["Subnet"], attrs["IPAM"]["Config"][0]["Gateway"]
        bridge = ph.bridge if network == "bridge" else f"br-{attrs['Id'][:12]}"
        assert f"-A {ph.chain_prefix}-POSTROUTING -s {subnet} ! -o {bridge} -j MASQUERADE" in rules
        bridge_addresses = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", bridge], capture_output=True)
        assert f"inet {gateway}/{subnet.split('/')[1]}".encode() in bridge_addresses.stdout  # the bridge's address
        assert f"default via {gateway}" in in_container(ph, container, "ip route")
        assert settings(client, container)["Networks"][network]["Gateway"] == gateway
        assert ph.docker("exec", container, "ping", "-c1", "-W2", gateway).returncode == 0
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "1"


def test_rm_takes_away_the_veth_address_dns_name_and_rules(ph, client):
    ph.docker("network", "create", "temporary", check=True)
    run_detached(ph, "--name", "watcher", "--network", "temporary", *SLEEPER)
    run_detached(ph, "--name", "leaving", "--network", "temporary", "-p", "127.0.0.1::80", *SLEEPER)
    leaving = settings(client, "leaving")
    address, netns = leaving["Networks"]["temporary"]["IPAddress"], leaving["SandboxKey"]
    host_end = int(in_container(ph, "leaving", "cat /sys/class/net/eth0/iflink"))
    veth = host_links()[host_end]
    bridge = f"br-{client.networks.get('temporary').id[:12]}"
    assert Path(f"/sys/class/net/{veth}/master").resolve().name == bridge
    assert any(address in rule for rule in our_rules(ph))
    assert ph.docker("exec", "watcher", "nslookup", "leaving").returncode == 0
    assert Path(netns).exists()

    ph.docker("rm", "-f", "leaving", check=True)
    wait_for(lambda: not Path(f"/sys/class/net/{veth}").exists(), 5, what="the veth to go with its namespace")
    assert not any(address in rule for rule in our_rules(ph))
    assert ph.docker("exec", "watcher", "nslookup", "leaving").returncode != 0
    assert not Path(netns).exists()
    assert "leaving" not in {c["Name"] for c in client.networks.get("temporary").attrs["Containers"].values()}
    assert ph.docker("exec", "watcher", "ping", "-c1", "-W1", address).returncode != 0
    run_detached(ph, "--name", "newcomer", "--network", "temporary", *SLEEPER)
    assert settings(client, "newcomer")["Networks"]["temporary"]["IPAddress"] != address  # not at once


def test_stop_releases_the_sandbox_and_start_builds_it_again(ph, client):
    ph.docker("network", "create", "again", check=True)
    run_detached(ph, "--name", "peer", "--network", "again", *SLEEPER)
    run_detached(ph, "--name", "cycled", "--network", "again", "--network-alias", "cyc", *SLEEPER)
    ph.docker("stop", "-t", "0", "cycled", check=True)
    stopped = settings(client, "cycled")
    assert stopped["Networks"]["again"]["IPAddress"] == "" and stopped["SandboxKey"] == ""
    assert ph.docker("exec", "peer", "nslookup", "cyc").returncode != 0
    ph.docker("start", "cycled", check=True)
    address = settings(client, "cycled")["Networks"]["again"]["IPAddress"]
    assert address
    assert ph.docker("exec", "peer", "ping", "-c1", "-W2", "cyc").returncode == 0
    assert in_container(ph, "cycled", "ip -o -4 addr show eth0").split()[3].startswith(address + "/")


def test_addresses_are_reused_only_later_and_never_held_twice(ph, client):
    subnet = f"10.{ph.octet}.250.0/29"  # .1 is the gateway: .2 to .6 are the five container addresses
    ph.docker("network", "create", "--subnet", subnet, "tiny", check=True)
    first = run_detached(ph, "--network", "tiny", *SLEEPER)
    first_address = settings(client, first)["Networks"]["tiny"]["IPAddress"]
    ph.docker("rm", "-f", first, check=True)
    held = []
    for _ in range(5):
        container = run_detached(ph, "--network", "tiny", *SLEEPER)
        held.append(settings(client, container)["Networks"]["tiny"]["IPAddress"])
    prefix = f"10.{ph.octet}.250."
    assert sorted(held) == [prefix + str(n) for n in range(2, 7)]
    assert held[0] != first_address and held[-1] == first_address  # the freed one came round again last
    full = ph.docker("run", "-d", "--network", "tiny", *SLEEPER)
    assert full.returncode != 0
    assert b"no available IPv4 addresses" in full.stderr
    network = client.networks.get("tiny")
    addresses = [c["IPv4Address"] for c in network.attrs["Containers"].values()]
    assert len(addresses) == 5 and len(set(addresses)) == 5


def test_static_ip_on_a_network_with_a_subnet(ph, client):
    subnet = f"10.{ph.octet}.251.0/24"
    ph.docker("network", "create", "--subnet", subnet, "--gateway", f"10.{ph.octet}.251.254", "fixed", check=True)
    wanted = f"10.{ph.octet}.251.77"
    run_detached(ph, "--name", "pinned", "--network", "fixed", "--ip", wanted, *SLEEPER)
    assert in_container(ph, "pinned", "ip -o -4 addr show eth0").split()[3] == wanted + "/24"
    assert f"default via 10.{ph.octet}.251.254" in in_container(ph, "pinned", "ip route")
    taken = ph.docker("run", "--rm", "--network", "fixed", "--ip", wanted, "busybox", "true")
    assert taken.returncode != 0 and b"Address already in use" in taken.stderr
