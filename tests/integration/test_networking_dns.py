"""Container networking through the daemon (issue 3): names, aliases and isolation on user-defined networks,
and `--network container:<name>`. Real docker CLI and docker-py against the test's own daemon; no traffic
leaves the test's bridges: the daemon forwards nothing (`--dns-upstream none`), and the one upstream a container
is given (`--dns`) is the test's own server, in another container's namespace."""

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import docker
import pytest

from runtime.network.netns import run_in_netns
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

SLEEPER = ("busybox", "sleep", "300")


def run_detached(ph, *args: str) -> str:
    return ph.docker("run", "-d", *args, check=True).stdout.decode().strip()


def pings(ph, container: str, target: str) -> bool:
    return ph.docker("exec", container, "ping", "-c1", "-W1", target).returncode == 0


def resolves(ph, container: str, name: str) -> str | None:
    """The address the container's resolver gives for name, or None."""
    result = ph.docker("exec", container, "nslookup", name)
    if result.returncode != 0:
        return None
    answer = result.stdout.decode().split("Name:", 1)[-1]
    return next((line.split()[-1] for line in answer.splitlines() if line.startswith("Address")), None)


def address(client, container: str, network: str) -> str:
    return client.containers.get(container).attrs["NetworkSettings"]["Networks"][network]["IPAddress"]


def test_containers_on_a_user_network_ping_each_other_by_name_and_alias(ph, client):
    ph.docker("network", "create", "front", check=True)
    run_detached(ph, "--name", "web", "--network", "front", "--network-alias", "www", *SLEEPER)
    run_detached(ph, "--name", "app", "--network", "front", *SLEEPER)
    web, app = address(client, "web", "front"), address(client, "app", "front")
    assert web != app

    assert resolves(ph, "app", "web") == web
    assert resolves(ph, "app", "www") == web
    assert resolves(ph, "web", "app") == app
    assert pings(ph, "app", "web")
    assert pings(ph, "app", "www")
    assert pings(ph, "web", "app")
    assert resolves(ph, "app", "no-such-container") is None  # answered here, never forwarded
    resolv_conf = ph.docker("exec", "app", "cat", "/etc/resolv.conf", check=True).stdout.decode()
    assert "nameserver 127.0.0.11" in resolv_conf.splitlines()
    aliases = client.containers.get("web").attrs["NetworkSettings"]["Networks"]["front"]
    assert aliases["Aliases"] == ["www"]
    assert set(aliases["DNSNames"]) >= {"web", "www"}


def test_docker_py_connect_with_an_alias_makes_the_alias_resolve(ph, client):
    network = client.networks.create("back", driver="bridge")
    db = client.containers.run("busybox", ["sleep", "300"], name="db", network="back", detach=True)
    other = client.containers.run("busybox", ["sleep", "300"], name="other", detach=True)  # default bridge
    network.connect(other, aliases=["cache"])

    other_on_back = address(client, "other", "back")
    assert resolves(ph, "db", "cache") == other_on_back
    assert resolves(ph, "db", "other") == other_on_back
    assert pings(ph, "db", "cache")
    network.reload()
    assert {c.name for c in network.containers} == {"db", "other"}
    db.reload()
    assert db.attrs["NetworkSettings"]["Networks"]["back"]["DNSNames"][0] == "db"


def test_a_container_on_another_network_is_cut_off_until_network_connect(ph, client):
    ph.docker("network", "create", "blue", check=True)
    ph.docker("network", "create", "red", check=True)
    run_detached(ph, "--name", "blue1", "--network", "blue", *SLEEPER)
    run_detached(ph, "--name", "blue2", "--network", "blue", *SLEEPER)
    run_detached(ph, "--name", "red1", "--network", "red", *SLEEPER)
    blue1 = address(client, "blue1", "blue")

    assert not pings(ph, "red1", blue1)  # routed through the host, dropped by the isolation rules
    assert resolves(ph, "red1", "blue1") is None  # red's DNS knows nothing of blue
    assert resolves(ph, "blue1", "red1") is None

    ph.docker("network", "connect", "--alias", "visitor", "blue", "red1", check=True)
    assert pings(ph, "red1", "blue1")
    assert pings(ph, "red1", "blue2")
    assert pings(ph, "blue2", "visitor")
    assert resolves(ph, "blue1", "red1") == address(client, "red1", "blue")
    interfaces = ph.docker("exec", "red1", "ip", "-o", "-4", "addr", check=True).stdout.decode()
    assert address(client, "red1", "blue") in interfaces and address(client, "red1", "red") in interfaces

    ph.docker("network", "disconnect", "blue", "red1", check=True)
    assert resolves(ph, "blue1", "red1") is None
    assert not pings(ph, "red1", blue1)
    assert "blue" not in client.containers.get("red1").attrs["NetworkSettings"]["Networks"]


def test_each_container_has_its_own_hosts_hostname_and_resolv_conf(ph, client):
    ph.docker("network", "create", "files", check=True)
    run_detached(
        ph,
        "--name",
        "named",
        "--network",
        "files",
        "--hostname",
        "box",
        "--add-host",
        "extra.test:10.9.8.7",
        *SLEEPER,
    )
    run_detached(ph, "--name", "plain", "--dns", "10.9.8.53", "--dns-search", "corp.test", *SLEEPER)

    def etc(container: str, name: str) -> list[str]:
        return ph.docker("exec", container, "cat", f"/etc/{name}", check=True).stdout.decode().splitlines()

    named_ip = address(client, "named", "files")
    assert etc("named", "hostname") == ["box"]
    assert f"{named_ip}\tbox" in etc("named", "hosts")
    assert "10.9.8.7\textra.test" in etc("named", "hosts")
    assert "nameserver 127.0.0.11" in etc("named", "resolv.conf")  # the embedded DNS on a user network
    plain = client.containers.get("plain")
    assert etc("plain", "hostname") == [plain.attrs["Config"]["Hostname"]]
    assert f"{address(client, 'plain', 'bridge')}\t{plain.attrs['Config']['Hostname']}" in etc("plain", "hosts")
    assert "nameserver 10.9.8.53" in etc("plain", "resolv.conf") and "search corp.test" in etc("plain", "resolv.conf")
    assert not any("127.0.0.11" in line for line in etc("plain", "resolv.conf"))
    paths = {client.containers.get(c).attrs["HostsPath"] for c in ("named", "plain")}
    assert len(paths) == 2 and all(paths)


def test_the_default_bridge_has_no_embedded_dns_as_in_docker(ph, client):
    run_detached(ph, "--name", "plain1", *SLEEPER)
    run_detached(ph, "--name", "plain2", *SLEEPER)
    assert pings(ph, "plain2", address(client, "plain1", "bridge"))
    resolv_conf = ph.docker("exec", "plain2", "cat", "/etc/resolv.conf", check=True).stdout.decode()
    assert "127.0.0.11" not in resolv_conf
    assert ph.docker("exec", "plain2", "nslookup", "plain1", "127.0.0.11").returncode != 0


def test_network_container_mode_shares_the_address_and_loopback(ph, client):
    ph.docker("network", "create", "shared", check=True)
    run_detached(
        ph,
        "--name",
        "owner",
        "--network",
        "shared",
        "busybox",
        "sh",
        "-c",
        "while true; do nc -l -p 7000 -e echo hello-over-loopback; done",
    )
    owner = client.containers.get("owner")
    owner_ip = owner.attrs["NetworkSettings"]["Networks"]["shared"]["IPAddress"]

    shown = ph.docker(
        "run",
        "--rm",
        "--network",
        "container:owner",
        "busybox",
        "sh",
        "-c",
        "ip -o -4 addr show eth0; hostname",
        check=True,
    ).stdout.decode()
    assert f"inet {owner_ip}/" in shown
    assert shown.split()[-1] == owner.attrs["Config"]["Hostname"]

    def talks_over_loopback() -> bool:
        done = ph.docker("run", "--rm", "--network", "container:owner", "busybox", "nc", "127.0.0.1", "7000")
        return done.stdout == b"hello-over-loopback\n"

    wait_for(talks_over_loopback, 10, what="an answer over 127.0.0.1 from the joined container")
    joined = client.containers.run("busybox", ["sleep", "300"], network_mode="container:owner", detach=True)
    joined.reload()
    assert joined.attrs["NetworkSettings"]["Networks"]["shared"]["IPAddress"] == owner_ip


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("-p", "8080:80"), b"conflicting options: port publishing and the container type network mode"),
        (("-P",), b"conflicting options: port publishing and the container type network mode"),
        (("--hostname", "other"), b"conflicting options: hostname and the network mode"),
        (("--dns", "10.9.8.53"), b"conflicting options: dns and the network mode"),
        (("--add-host", "extra.test:10.9.8.7"), b"conflicting options: custom host-to-IP mapping and the network mode"),
        (("--link", "target:t"), b"conflicting options: container type network can't be used with links."),
    ],
)
def test_network_container_mode_refuses_what_it_cannot_have_of_its_own(ph, flags, message):
    run_detached(ph, "--name", "target", *SLEEPER)
    for joined in ("container:target", "container:not-made-yet"):  # refused at create, as Docker, either way
        result = ph.docker("create", "--network", joined, *flags, "busybox", "true")
        assert result.returncode != 0
        assert message in result.stderr
    assert ph.docker("ps", "-aq", "--filter", "status=created").stdout == b""


def test_network_container_mode_takes_dns_search_and_options_as_docker_does(ph):
    run_detached(ph, "--name", "target", *SLEEPER)
    flags = ("--dns-search", "corp.test", "--dns-option", "timeout:3")
    assert ph.docker("create", "--network", "container:target", *flags, "busybox", "true").returncode == 0


def test_connecting_a_container_twice_or_to_host_is_refused(ph, client):
    ph.docker("network", "create", "once", check=True)
    run_detached(ph, "--name", "single", "--network", "once", *SLEEPER)
    again = ph.docker("network", "connect", "once", "single")
    assert again.returncode != 0
    assert b"endpoint with name single already exists in network once" in again.stderr
    with pytest.raises(docker.errors.APIError) as refused:
        client.networks.get("host").connect("single")
    assert refused.value.status_code == 403


def test_network_container_mode_looks_its_target_up_at_start(ph, client):
    early = ph.docker("run", "--name", "early-joiner", "--network", "container:not-yet", "busybox", "true")
    assert early.returncode == 125
    assert b"not-yet" in early.stderr and b"Unable to find image" not in early.stderr
    assert client.containers.get("early-joiner").status == "created"
    run_detached(ph, "--name", "not-yet", "--hostname", "target-host", *SLEEPER)
    assert ph.docker("start", "-a", "early-joiner", check=True).returncode == 0
    assert client.containers.get("early-joiner").attrs["Config"]["Hostname"] == "target-host"


@contextlib.contextmanager
def upstream_dns(netns: Path, records: dict[str, str]) -> Iterator[list[str]]:
    """A UDP DNS server on port 53 inside netns answering records (name -> IPv4 address), NXDOMAIN else;
    yields the names it was asked, as they come."""
    sock = run_in_netns(netns, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    sock.bind(("0.0.0.0", 53))
    sock.settimeout(0.2)
    asked: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, client = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            asked.append(name)
            reply = dns.message.make_response(query)
            if name not in records:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A:
                reply.answer.append(dns.rrset.from_text(question.name, 30, "IN", "A", records[name]))
            sock.sendto(reply.to_wire(), client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield asked
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


def test_names_the_embedded_dns_does_not_know_go_to_the_containers_dns_servers(ph, client):
    ph.docker("network", "create", "an1", check=True)
    run_detached(ph, "--name", "resolver-box", "--network", "an1", *SLEEPER)
    resolver = client.containers.get("resolver-box")
    upstream_ip = address(client, "resolver-box", "an1")
    with upstream_dns(Path(f"/proc/{resolver.attrs['State']['Pid']}/ns/net"), {"elsewhere.test": "192.0.2.7"}) as asked:
        run_detached(
            ph,
            "--name",
            "asker",
            "--network",
            "an1",
            "--dns",
            upstream_ip,
            "--dns-search",
            "corp.test",
            "--dns-option",
            "timeout:3",
            *SLEEPER,
        )
        run_detached(ph, "--name", "no-dns", "--network", "an1", *SLEEPER)

        assert resolves(ph, "asker", "elsewhere.test") == "192.0.2.7"
        assert pings(ph, "asker", "resolver-box")  # still answered here (busybox's nslookup would try the search list)
        assert resolves(ph, "asker", "nowhere.test") is None  # the upstream's NXDOMAIN
        assert {"elsewhere.test", "nowhere.test"} <= set(asked) and "resolver-box" not in asked
        asked.clear()
        assert resolves(ph, "no-dns", "elsewhere.test") is None  # the daemon forwards nothing of its own
        assert asked == []
    resolv_conf = ph.docker("exec", "asker", "cat", "/etc/resolv.conf", check=True).stdout.decode().splitlines()
    assert resolv_conf[1:] == ["nameserver 127.0.0.11", "search corp.test", "options timeout:3 ndots:0"]


def test_names_qualified_by_their_network_resolve_and_name_the_address_back(ph, client):
    for network in ("an1", "an2"):
        ph.docker("network", "create", network, check=True)
    run_detached(ph, "--name", "an-c1", "--network", "an1", "--network-alias", "web", *SLEEPER)
    run_detached(ph, "--name", "asker", "--network", "an1", *SLEEPER)
    c1 = address(client, "an-c1", "an1")

    assert resolves(ph, "asker", "an-c1.an1") == c1
    assert resolves(ph, "asker", "web.an1") == c1
    assert resolves(ph, "asker", "an-c1.an2") is None  # not on an2
    reverse = ph.docker("exec", "asker", "nslookup", c1, check=True).stdout.decode()
    assert "name = an-c1.an1" in reverse


def test_an_fqdn_hostname_names_the_address_with_its_bare_name_too(ph):
    hosts = ph.docker("run", "--rm", "--hostname", "myh.example.com", "busybox", "cat", "/etc/hosts", check=True)
    own = hosts.stdout.decode().splitlines()[-1]
    assert own.split("\t")[1] == "myh.example.com myh"  # Docker's line: "<ip>\tmyh.example.com myh"
