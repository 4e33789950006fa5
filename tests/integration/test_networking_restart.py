"""Networking across a daemon crash, and the counters and addresses the API reports (issue 3): a daemon killed
with SIGKILL and started again finds its networks, its running containers' addresses, DNS names and
published ports as they were; the stats API's `networks` section counts real traffic; inspect's addresses
are the ones in the container."""

import os
import signal
import socket
import subprocess
import urllib.request

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

SLEEPER = ("busybox", "sleep", "300")
MIB = 1 << 20
PAGE = "served before and after"
HTTPD = ("busybox", "sh", "-c", f"mkdir -p /www && echo '{PAGE}' > /www/index.html && exec httpd -f -p 80 -h /www")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


def run_detached(ph, *args: str) -> str:
    return ph.docker("run", "-d", *args, check=True).stdout.decode().strip()


def our_rules(ph) -> list[str]:
    saved = subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout
    return sorted(line for line in saved.splitlines() if ph.chain_prefix in line)


def resolves(ph, container: str, name: str) -> str | None:
    result = ph.docker("exec", container, "nslookup", name)
    if result.returncode != 0:
        return None
    answer = result.stdout.decode().split("Name:", 1)[-1]
    return next((line.split()[-1] for line in answer.splitlines() if line.startswith("Address")), None)


def page(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as response:
            return response.read().decode().strip()
    except OSError:
        return ""


def networks_of(client, container: str) -> dict:
    return client.containers.get(container).attrs["NetworkSettings"]["Networks"]


@pytest.fixture
def crash_and_restart(ph):
    """Kill the daemon with SIGKILL and start it again; started again after the test whatever happened."""

    def crash(while_down=lambda: None) -> None:
        ph.kill()
        while_down()
        ph.start()

    try:
        yield crash
    finally:
        if ph.process is None:
            ph.start()


def test_a_killed_daemon_finds_networks_addresses_dns_and_ports_as_they_were(ph, client, crash_and_restart):
    ph.docker("network", "create", "--subnet", f"10.{ph.octet}.230.0/24", "kept", check=True)
    run_detached(ph, "--name", "alpha", "--network", "kept", "--network-alias", "first", *SLEEPER)
    run_detached(ph, "--name", "beta", "--network", "kept", *SLEEPER)
    ph.docker("network", "connect", "--alias", "joined-late", "kept", run_detached(ph, "--name", "gamma", *SLEEPER))
    port = free_port()
    run_detached(ph, "--name", "served", "-p", f"{port}:80", *HTTPD)
    wait_for(lambda: page(port) == PAGE, 10, what="httpd before the crash")
    network_before = client.networks.get("kept").attrs
    addresses_before = {name: networks_of(client, name) for name in ("alpha", "beta", "gamma", "served")}
    rules_before = our_rules(ph)

    crash_and_restart()

    restarted = ph.client()
    try:
        network_after = restarted.networks.get("kept").attrs
        assert network_after["Id"] == network_before["Id"]
        assert network_after["IPAM"] == network_before["IPAM"]
        assert network_after["Containers"] == network_before["Containers"]
        for name, networks in addresses_before.items():
            assert networks_of(restarted, name) == networks, name
        alpha_ip = addresses_before["alpha"]["kept"]["IPAddress"]
        assert resolves(ph, "beta", "alpha") == alpha_ip
        assert resolves(ph, "beta", "first") == alpha_ip
        assert resolves(ph, "alpha", "joined-late") == addresses_before["gamma"]["kept"]["IPAddress"]
        assert ph.docker("exec", "beta", "ping", "-c1", "-W2", "first").returncode == 0
        assert page(port) == PAGE
        assert our_rules(ph) == rules_before  # rebuilt, not doubled
        fresh = run_detached(ph, "--network", "kept", *SLEEPER)
        held = {n["kept"]["IPAddress"] for n in addresses_before.values() if "kept" in n}
        assert networks_of(restarted, fresh)["kept"]["IPAddress"] not in held
        taken = ph.docker("run", "-d", "-p", f"{port}:80", *SLEEPER)
        assert taken.returncode != 0 and b"port is already allocated" in taken.stderr
    finally:
        restarted.close()


def test_a_container_that_died_while_the_daemon_was_down_gives_everything_back(ph, client, crash_and_restart):
    ph.docker("network", "create", "mourning", check=True)
    run_detached(ph, "--name", "survivor", "--network", "mourning", *SLEEPER)
    port = free_port()
    run_detached(ph, "--name", "doomed", "--network", "mourning", "-p", f"127.0.0.1:{port}:80", *SLEEPER)
    doomed = client.containers.get("doomed").attrs
    address = doomed["NetworkSettings"]["Networks"]["mourning"]["IPAddress"]
    host_end = int(ph.docker("exec", "doomed", "cat", "/sys/class/net/eth0/iflink", check=True).stdout)
    veth = next(p.name for p in os.scandir("/sys/class/net") if int(open(f"{p.path}/ifindex").read()) == host_end)

    crash_and_restart(lambda: os.kill(doomed["State"]["Pid"], signal.SIGKILL))

    wait_for(lambda: client.containers.get("doomed").status == "exited", 10, what="the exit seen after restart")
    wait_for(lambda: not os.path.exists(f"/sys/class/net/{veth}"), 5, what="the veth to go with its namespace")
    assert not any(address in rule for rule in our_rules(ph))
    assert resolves(ph, "survivor", "doomed") is None
    assert networks_of(client, "doomed")["mourning"]["IPAddress"] == ""
    ph.docker("run", "-d", "--name", "heir", "-p", f"127.0.0.1:{port}:80", *SLEEPER, check=True)  # port is free


def stats_networks(client, container: str) -> dict:
    return client.containers.get(container).stats(stream=False)["networks"]


def test_stats_networks_count_the_bytes_sent_between_two_containers(ph, client):
    ph.docker("network", "create", "metered", check=True)
    run_detached(
        ph, "--name", "sink", "--network", "metered", "busybox", "sh", "-c", "sleep 300 | nc -l -p 5000 > /dev/null"
    )
    run_detached(ph, "--name", "source", "--network", "metered", *SLEEPER)
    received_before = stats_networks(client, "sink")["eth0"]["rx_bytes"]
    sent_before = stats_networks(client, "source")["eth0"]["tx_bytes"]

    ph.docker("exec", "source", "sh", "-c", "dd if=/dev/zero bs=65536 count=32 2>/dev/null | nc sink 5000", check=True)

    wait_for(
        lambda: stats_networks(client, "sink")["eth0"]["rx_bytes"] - received_before >= 2 * MIB,
        10,
        what="2 MiB in the sink's rx_bytes",
    )
    sink, source = stats_networks(client, "sink")["eth0"], stats_networks(client, "source")["eth0"]
    assert source["tx_bytes"] - sent_before >= 2 * MIB
    assert sink["rx_packets"] > 0 and source["tx_packets"] > 0
    assert set(stats_networks(client, "sink")) == {"eth0"}  # lo is not reported, as in Docker
    net_io = ph.docker("stats", "--no-stream", "--format", "{{.NetIO}}", "sink", check=True).stdout.decode()
    assert "MB /" in net_io


def test_inspect_carries_the_addresses_the_container_has(ph, client):
    ph.docker("network", "create", "shown", check=True)
    container = run_detached(ph, "--name", "described", *SLEEPER)
    ph.docker("network", "connect", "shown", "described", check=True)
    settings = client.containers.get(container).attrs["NetworkSettings"]
    assert settings["IPAddress"] == settings["Networks"]["bridge"]["IPAddress"]  # the default bridge's, as Docker
    assert settings["SandboxKey"] and os.path.exists(settings["SandboxKey"])
    for network, interface in (("bridge", "eth0"), ("shown", "eth1")):
        entry = settings["Networks"][network]
        inside = ph.docker("exec", "described", "ip", "-o", "-4", "addr", "show", interface, check=True).stdout
        assert f"inet {entry['IPAddress']}/{entry['IPPrefixLen']}".encode() in inside
        mac = ph.docker("exec", "described", "cat", f"/sys/class/net/{interface}/address", check=True).stdout
        assert mac.decode().strip() == entry["MacAddress"]
        assert entry["NetworkID"] == client.networks.get(network).id
    assert set(stats_networks(client, "described")) == {"eth0", "eth1"}
