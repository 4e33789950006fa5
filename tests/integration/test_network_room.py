"""The network room against this host's kernel (root): real bridges, veths, namespaces, iptables and DNS.

Each test has its own bridge name, chain prefix, /21 slice of 10.213.0.0/16, data and exec roots; the
containers are plain network namespaces with busybox commands run in them through nsenter. Everything a
test makes (processes, links, rules, netns files) is removed even when it fails.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import pytest

from runtime.api.shapes.networks import network_object, network_settings, ps_ports
from runtime.errors import Conflict, Forbidden, InvalidParameter, NotFound
from runtime.network import NetworkConfig, NetworkService, NetworkView, Sandbox, SandboxSpec
from runtime.network.firewall_rules import ChainNames
from runtime.network.iptables import Iptables, remove_host_chains
from runtime.network.links import delete_link, link_exists
from runtime.network.netns import netlink_in, remove_netns, run_in_netns

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]

_SLICES = itertools.count()
IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")


@pytest.fixture(scope="module", autouse=True)
def keep_ip_forward() -> Iterator[None]:
    """The service turns forwarding on, as Docker does; the host gets its own setting back afterwards."""
    before = IP_FORWARD.read_text()
    try:
        yield
    finally:
        IP_FORWARD.write_text(before)


def iptables_save() -> str:
    return subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout


def in_netns(netns: Path | str, *argv: str, timeout: float = 15) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["nsenter", f"--net={netns}", *argv], capture_output=True, text=True, timeout=timeout, check=False
    )


def pings(sandbox: Sandbox, address: str) -> bool:
    return in_netns(sandbox.netns_path, "busybox", "ping", "-c1", "-W1", address).returncode == 0


def resolve(sandbox: Sandbox, name: str) -> subprocess.CompletedProcess:
    return in_netns(sandbox.netns_path, "busybox", "nslookup", name, "127.0.0.11")


def links_in(netns: Path) -> list[str]:
    with netlink_in(netns) as ns:
        return sorted(link.get("ifname") for link in ns.get_links())


def wait_for(condition, what: str, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def settings_of(service: NetworkService, container_id: str) -> dict[str, Any]:
    """The container's NetworkSettings, as inspect shows them now."""
    return network_settings(service.networking(container_id))


def listed(service: NetworkService, filters: dict) -> list[dict[str, Any]]:
    """`GET /networks`, as the API renders the service's answer."""
    return [network_object(NetworkView(n)) for n in service.list_networks(filters)]


@dataclass(frozen=True)
class Made:
    """A sandbox as create_sandbox made it, with the NetworkSettings inspect showed at that moment."""

    sandbox: Sandbox
    settings: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sandbox, name)


class Room:
    """One NetworkService on the test's own names and addresses, and what the test started."""

    def __init__(self, root: Path) -> None:
        base = 8 * next(_SLICES)
        assert base < 256, "more network tests than /21 slices of 10.213.0.0/16"
        self.base = base
        self.root = root
        token = secrets.token_hex(3)
        self.config = NetworkConfig(
            bridge_name=f"ptt{token}0",
            bip=f"10.213.{base}.1/24",
            chain_prefix=f"PTT{token.upper()}",
            address_pool=f"10.213.{base + 1}.0/24",
            pool_prefixlen=28,
        )
        self.processes: list[subprocess.Popen] = []
        self.link_names: set[str] = {self.config.bridge_name}
        self.service = self.open_service()

    def open_service(self) -> NetworkService:
        service = NetworkService(self.root / "data", self.root / "exec", self.config)
        service.start()
        return service

    def restart(self, running: dict[str, Path]) -> NetworkService:
        self.remember_links()
        self.service.close()
        self.service = self.open_service()
        self.service.restore(running)
        return self.service

    def subnet(self, index: int) -> str:
        return f"10.213.{self.base + 4 + index}.0/24"

    def spec(self, name: str, network_mode: str = "default", **fields) -> SandboxSpec:
        directory = self.root / "containers" / name
        directory.mkdir(parents=True, exist_ok=True)
        return SandboxSpec(
            container_id=secrets.token_hex(32),
            name=name,
            hostname=name + "-host",
            container_dir=directory,
            network_mode=network_mode,
            **fields,
        )

    def network(self, name: str, subnet: str | None = None, **fields) -> str:
        config = [{"Subnet": subnet}] if subnet else []
        return self.service.create_network({"Name": name, "IPAM": {"Config": config}, **fields}).id

    def sandbox(self, spec: SandboxSpec) -> Made:
        sandbox = self.service.create_sandbox(spec)
        return Made(sandbox, settings_of(self.service, sandbox.container_id))

    def spawn(self, netns: Path, *argv: str) -> subprocess.Popen:
        process = subprocess.Popen(["nsenter", f"--net={netns}", *argv], stdout=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def httpd(self, sandbox: Sandbox, body: str) -> None:
        www = self.root / f"www-{sandbox.container_id[:8]}"
        www.mkdir()
        (www / "index.html").write_text(body)
        self.spawn(sandbox.netns_path, "busybox", "httpd", "-f", "-p", "80", "-h", str(www))

        def listening() -> bool:
            def probe() -> bool:
                with socket.socket() as sock:
                    return sock.connect_ex(("127.0.0.1", 80)) == 0

            return run_in_netns(sandbox.netns_path, probe)

        wait_for(listening, "busybox httpd to listen")

    def remember_links(self) -> None:
        for network in self.service.registry.bridges():
            self.link_names.add(network.bridge_name)
        for record in self.service.sandboxes.containers.values():
            self.link_names.update(e.host_ifname for e in record.endpoints if e.host_ifname)

    def close(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait(timeout=10)
        self.remember_links()
        try:
            self.service.teardown()
        finally:
            # a sweep that holds even if teardown failed half-way: nothing of the test may stay on the host
            for name in self.link_names:
                delete_link(name)
            remove_host_chains(Iptables(), ChainNames(self.config.chain_prefix))
            netns_dir = self.root / "exec" / "netns"
            for path in netns_dir.glob("*") if netns_dir.is_dir() else ():
                remove_netns(path)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    room = Room(tmp_path)
    try:
        yield room
    finally:
        room.close()


def address_on(sandbox: Made, network: str) -> str:
    return sandbox.settings["Networks"][network]["IPAddress"]


def test_none_mode_has_only_loopback_and_leaves_nothing(room: Room) -> None:
    sandbox = room.sandbox(room.spec("lonely", "none"))
    assert links_in(sandbox.netns_path) == ["lo"]
    assert in_netns(sandbox.netns_path, "busybox", "ping", "-c1", "-W1", "127.0.0.1").returncode == 0
    assert sandbox.hosts_path.read_text().splitlines()[-1] == "ff02::2\tip6-allrouters"
    assert sandbox.settings["Networks"]["none"]["IPAddress"] == ""
    room.service.destroy_sandbox(sandbox.container_id)
    assert not sandbox.netns_path.exists()


def test_host_mode_uses_the_hosts_namespace_and_files(room: Room) -> None:
    sandbox = room.sandbox(room.spec("hosty", "host", extra_hosts=["db:192.0.2.9"]))
    assert sandbox.netns_path is None
    assert sandbox.hosts_path.read_text().endswith("192.0.2.9\tdb\n")
    assert sandbox.hosts_path.read_text().startswith(Path("/etc/hosts").read_text())
    assert network_object(room.service.inspect_network("host"))["Containers"][sandbox.container_id]["Name"] == "hosty"


def test_two_containers_on_a_network_reach_each_other_by_address_and_name(room: Room) -> None:
    room.network("front", room.subnet(0))
    a = room.sandbox(room.spec("web", "front", endpoints_config={"front": {"Aliases": ["www"]}}))
    b = room.sandbox(room.spec("client", "front"))
    a_ip = address_on(a, "front")
    assert a_ip.startswith(f"10.213.{room.base + 4}.")
    assert links_in(a.netns_path) == ["eth0", "lo"]
    assert pings(b, a_ip)
    assert pings(b, f"10.213.{room.base + 4}.1")  # the gateway: the subnet's first address
    for name in ("web", "www", a.container_id[:12], "WEB"):
        answer = resolve(b, name)
        assert answer.returncode == 0 and f"Address: {a_ip}" in answer.stdout, (name, answer.stdout)
    assert "NXDOMAIN" in resolve(b, "not-a-container").stdout
    over_tcp = run_in_netns(b.netns_path, lambda: dns.query.tcp(dns.message.make_query("www", "A"), "127.0.0.11", 5))
    assert [item.address for item in over_tcp.answer[0]] == [a_ip]
    assert "nameserver 127.0.0.11" in b.resolv_conf_path.read_text().splitlines()
    assert f"{address_on(b, 'front')}\tclient-host" in b.hosts_path.read_text()


def test_the_default_bridge_has_addresses_but_no_embedded_dns(room: Room) -> None:
    a = room.sandbox(room.spec("one"))
    b = room.sandbox(room.spec("two"))
    assert a.settings["IPAddress"].startswith(f"10.213.{room.base}.")
    assert a.settings["Gateway"] == f"10.213.{room.base}.1"
    assert pings(b, a.settings["IPAddress"])
    assert resolve(b, "one").returncode != 0
    assert "127.0.0.11" not in b.resolv_conf_path.read_text()


def test_bridge_and_host_ends_have_no_ipv6_addresses_to_announce(room: Room) -> None:
    """IPv4 only: no link-local address appears on the host after a container starts (see links.disable_ipv6)."""
    room.sandbox(room.spec("one"))
    bridge = room.config.bridge_name
    ports = subprocess.run(["ip", "-o", "link", "show", "master", bridge], capture_output=True, text=True, check=True)
    host_ends = [line.split(": ")[1].split("@")[0] for line in ports.stdout.splitlines()]
    assert len(host_ends) == 1 and host_ends[0].startswith("veth")
    for name in (bridge, host_ends[0]):
        assert Path(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6").read_text() == "1\n"
        shown = subprocess.run(["ip", "-6", "-o", "addr", "show", "dev", name], capture_output=True, text=True)
        assert shown.stdout == "", (name, shown.stdout)


def test_other_networks_are_unreachable_until_connected(room: Room) -> None:
    room.network("net1", room.subnet(0))
    room.network("net2", room.subnet(1))
    a = room.sandbox(room.spec("a", "net1"))
    c = room.sandbox(room.spec("c", "net2"))
    a_ip = address_on(a, "net1")
    assert not pings(c, a_ip)
    assert "NXDOMAIN" in resolve(c, "a").stdout

    room.service.connect("net1", c.container_id, {"Aliases": ["late"]})
    assert links_in(c.netns_path) == ["eth0", "eth1", "lo"]
    assert pings(c, a_ip)
    assert f"Address: {a_ip}" in resolve(c, "a").stdout
    c_on_net1 = settings_of(room.service, c.container_id)["Networks"]["net1"]["IPAddress"]
    assert f"Address: {c_on_net1}" in resolve(a, "late").stdout
    assert f"{c_on_net1}\tc-host" in c.hosts_path.read_text()

    room.service.disconnect("net1", c.container_id)
    assert links_in(c.netns_path) == ["eth0", "lo"]
    assert not pings(c, a_ip)
    assert "NXDOMAIN" in resolve(a, "late").stdout
    with pytest.raises(Conflict) as caught:
        room.service.disconnect("net1", c.container_id)
    assert caught.value.message == f"container {c.container_id} is not connected to network net1"


def test_published_ports_answer_on_loopback_and_from_other_networks(room: Room) -> None:
    room.network("pub", room.subnet(0))
    room.network("other", room.subnet(1))
    host_port = 30000 + room.base * 10 + secrets.randbelow(10)
    web = room.sandbox(
        room.spec(
            "web",
            "pub",
            port_bindings={
                "80/tcp": [{"HostIp": "", "HostPort": str(host_port)}, {"HostIp": "127.0.0.1", "HostPort": ""}],
                "81/tcp": [{"HostPort": ""}],
            },
            exposed_ports=["443/tcp"],
        )
    )
    room.httpd(web, "hello from the container\n")
    with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/", timeout=5) as reply:
        assert reply.read() == b"hello from the container\n"

    client = room.sandbox(room.spec("client", "other"))
    gateway = client.settings["Networks"]["other"]["Gateway"]
    fetched = in_netns(client.netns_path, "curl", "-s", "-m", "5", f"http://{gateway}:{host_port}/")
    assert fetched.stdout == "hello from the container\n"
    hairpin = in_netns(web.netns_path, "curl", "-s", "-m", "5", f"http://{gateway}:{host_port}/")
    assert hairpin.stdout == "hello from the container\n"

    ports = settings_of(room.service, web.container_id)["Ports"]
    assert ports["80/tcp"][0] == {"HostIp": "0.0.0.0", "HostPort": str(host_port)}
    loopback_only = ports["80/tcp"][1]
    assert loopback_only["HostIp"] == "127.0.0.1"
    with urllib.request.urlopen(f"http://127.0.0.1:{loopback_only['HostPort']}/", timeout=5) as reply:
        assert reply.read() == b"hello from the container\n"
    refused = in_netns(client.netns_path, "curl", "-s", "-m", "2", f"http://{gateway}:{loopback_only['HostPort']}/")
    assert refused.returncode != 0  # bound to the host's loopback only
    assert ports["443/tcp"] is None
    free = int(ports["81/tcp"][0]["HostPort"])
    assert free != host_port
    assert {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": host_port, "Type": "tcp"} in ps_ports(
        room.service.networking(web.container_id)
    )

    with pytest.raises(Conflict) as caught:
        room.sandbox(room.spec("thief", "pub", port_bindings={"80/tcp": [{"HostPort": str(host_port)}]}))
    assert caught.value.message == f"Bind for 0.0.0.0:{host_port} failed: port is already allocated"
    pub = room.service.registry.resolve("pub")
    assert [str(a) for a in room.service.registry.pool(pub).allocations] == [address_on(web, "pub")]
    assert sorted(p.name for p in (room.root / "exec" / "netns").iterdir()) == sorted(
        [web.container_id, client.container_id]
    )

    room.service.destroy_sandbox(web.container_id)
    assert f"--dport {host_port}" not in iptables_save()
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", host_port))  # the port is the host's again


def test_publish_all_gives_every_exposed_port_a_host_port(room: Room) -> None:
    sandbox = room.sandbox(room.spec("all", exposed_ports=["80/tcp", "53/udp"], publish_all=True))
    ports = sandbox.settings["Ports"]
    assert set(ports) == {"80/tcp", "53/udp"}
    assert all(len(bindings) == 1 and int(bindings[0]["HostPort"]) > 0 for bindings in ports.values())
    rules = iptables_save()
    for key, bindings in ports.items():
        port, proto = key.split("/")
        assert f"-p {proto} -m {proto} --dport {bindings[0]['HostPort']} -j DNAT" in rules


def test_static_addresses_follow_dockers_rules(room: Room) -> None:
    room.network("fixed", room.subnet(0))
    room.network("auto")
    wanted = f"10.213.{room.base + 4}.50"
    sandbox = room.sandbox(
        room.spec("pinned", "fixed", endpoints_config={"fixed": {"IPAMConfig": {"IPv4Address": wanted}}})
    )
    assert address_on(sandbox, "fixed") == wanted
    with pytest.raises(Conflict) as caught:
        room.sandbox(room.spec("copycat", "fixed", endpoints_config={"fixed": {"IPAMConfig": {"IPv4Address": wanted}}}))
    assert caught.value.message == "Address already in use"
    with pytest.raises(InvalidParameter) as caught:
        room.service.register_container(
            room.spec("outside", "fixed", endpoints_config={"fixed": {"IPAMConfig": {"IPv4Address": "10.9.9.9"}}})
        )
    assert caught.value.message == "no configured subnet or ip-range contain the IP address 10.9.9.9"
    with pytest.raises(InvalidParameter) as caught:
        room.service.register_container(
            room.spec("dynamic", "auto", endpoints_config={"auto": {"IPAMConfig": {"IPv4Address": wanted}}})
        )
    assert caught.value.message == (
        "user specified IP address is supported only when connecting to networks with user configured subnets"
    )
    with pytest.raises(NotFound) as caught:
        room.service.register_container(room.spec("lost", "no-such-net"))
    assert caught.value.message == "network no-such-net not found"


def test_network_create_inspect_list_remove_and_prune(room: Room) -> None:
    network_id = room.network("front", room.subnet(0), Labels={"team": "web"})
    with pytest.raises(Forbidden) as caught:
        room.network("clash", f"10.213.{room.base + 4}.128/25")
    assert caught.value.message == "invalid pool request: Pool overlaps with other one on this address space"
    with pytest.raises(Conflict) as caught:
        room.network("front", room.subnet(1))
    assert caught.value.message == "network with name front already exists"

    shape = network_object(room.service.inspect_network(network_id[:10]))
    assert (shape["Name"], shape["Id"], shape["Driver"]) == ("front", network_id, "bridge")
    assert shape["IPAM"]["Config"] == [{"Subnet": room.subnet(0)}]  # no gateway given: none shown, as Docker
    assert link_exists(f"br-{network_id[:12]}")
    names = [n["Name"] for n in listed(room.service, {})]
    assert names[:3] == ["bridge", "host", "none"] and "front" in names
    assert [n["Name"] for n in listed(room.service, {"label": ["team=web"]})] == ["front"]
    assert [n["Name"] for n in listed(room.service, {"type": {"custom": True}})] == ["front"]

    sandbox = room.sandbox(room.spec("user", "front"))
    assert list(network_object(room.service.inspect_network("front"))["Containers"]) == [sandbox.container_id]
    with pytest.raises(Conflict) as caught:
        room.service.remove_network("front")
    assert caught.value.message == f"error while removing network: network front id {network_id} has active endpoints"
    with pytest.raises(Forbidden) as caught:
        room.service.remove_network("bridge")
    assert caught.value.message == "bridge is a pre-defined network and cannot be removed"
    assert room.service.prune_networks({}) == []

    room.service.destroy_sandbox(sandbox.container_id)
    room.network("spare", room.subnet(1))
    assert sorted(room.service.prune_networks({"label": ["team=web"]})) == ["front"]
    assert not link_exists(f"br-{network_id[:12]}")
    assert f"br-{network_id[:12]}" not in iptables_save()
    room.service.remove_network("spare")
    with pytest.raises(NotFound):
        network_object(room.service.inspect_network("spare"))


def test_internal_networks_have_no_way_out(room: Room) -> None:
    room.network("vault", room.subnet(0), Internal=True)
    room.network("open", room.subnet(1))
    inside = room.sandbox(room.spec("inside", "vault"))
    outside = room.sandbox(room.spec("outside", "open"))
    routes = in_netns(inside.netns_path, "busybox", "ip", "route").stdout
    assert "default" not in routes
    assert "default via" in in_netns(outside.netns_path, "busybox", "ip", "route").stdout
    rules = iptables_save()
    assert f"-s {room.subnet(1)} ! -o" in rules and "MASQUERADE" in rules
    assert f"-s {room.subnet(0)} ! -o" not in rules
    assert not pings(outside, address_on(inside, "vault"))


def paths(sandbox: Sandbox) -> tuple:
    return sandbox.netns_path, sandbox.hosts_path, sandbox.resolv_conf_path, sandbox.hostname_path


def test_a_planned_sandbox_names_what_create_makes_and_makes_nothing(room: Room) -> None:
    room.network("planned", room.subnet(0))
    specs = [room.spec("p-none", "none"), room.spec("p-host", "host"), room.spec("p-bridge", "planned")]
    plans = [room.service.planned_sandbox(spec) for spec in specs]
    assert plans[1].netns_path is None
    assert not any(plan.netns_path and plan.netns_path.exists() for plan in plans)
    assert not any(plan.hosts_path.exists() for plan in plans)
    made = [room.sandbox(spec) for spec in specs]
    assert [paths(plan) for plan in plans] == [paths(sandbox) for sandbox in made]
    joining = room.spec("p-joined", f"container:{made[2].container_id}")
    assert paths(room.service.planned_sandbox(joining)) == paths(room.sandbox(joining))


def test_container_mode_shares_the_namespace_and_the_settings(room: Room) -> None:
    room.network("shared", room.subnet(0))
    target = room.sandbox(room.spec("target", "shared"))
    joined = room.sandbox(room.spec("joined", f"container:{target.container_id}"))
    assert joined.netns_path == target.netns_path
    assert joined.hosts_path == target.hosts_path
    assert joined.settings["Networks"]["shared"]["IPAddress"] == address_on(target, "shared")
    with pytest.raises(InvalidParameter):
        room.service.register_container(
            room.spec("bad", f"container:{target.container_id}", port_bindings={"80/tcp": [{"HostPort": "1"}]})
        )


def test_a_restarted_service_keeps_networks_addresses_and_dns(room: Room) -> None:
    room.network("keep", room.subnet(0))
    a = room.sandbox(room.spec("a", "keep"))
    b = room.sandbox(room.spec("b", "keep"))
    gone = room.sandbox(room.spec("gone", "keep"))
    kept = {a.container_id: a.netns_path, b.container_id: b.netns_path}

    service = room.restart(kept)
    assert settings_of(service, a.container_id)["Networks"]["keep"]["IPAddress"] == address_on(a, "keep")
    assert f"Address: {address_on(a, 'keep')}" in resolve(b, "a").stdout
    assert "NXDOMAIN" in resolve(b, "gone").stdout
    assert not gone.netns_path.exists()
    assert pings(b, address_on(a, "keep"))
    fresh = room.sandbox(room.spec("fresh", "keep"))
    taken = {address_on(a, "keep"), address_on(b, "keep")}
    assert address_on(fresh, "keep") not in taken


def test_a_shared_namespace_keeps_it_alive_so_the_veth_is_deleted_at_once(room: Room) -> None:
    room.network("hold", room.subnet(0))
    owner = room.sandbox(room.spec("owner", "hold"))
    room.sandbox(room.spec("joined", f"container:{owner.container_id}"))
    holder = room.spawn(owner.netns_path, "busybox", "sleep", "30")  # the joined container's process
    namespace = f"net:[{owner.netns_path.stat().st_ino}]"
    wait_for(lambda: os.readlink(f"/proc/{holder.pid}/ns/net") == namespace, "the holder inside the namespace")
    veth = room.service.sandboxes.containers[owner.container_id].endpoints[0].host_ifname

    room.service.destroy_sandbox(owner.container_id)
    assert not link_exists(veth)  # deleted at once: it must not stay in the shared namespace with its address
    assert links_in(Path(f"/proc/{holder.pid}/ns/net")) == ["lo"]


def test_everything_is_gone_after_destroy_and_teardown(room: Room) -> None:
    room.network("tidy", room.subnet(0))
    sandbox = room.sandbox(room.spec("tidy", "tidy", port_bindings={"80/tcp": [{"HostPort": ""}]}))
    record = room.service.sandboxes.containers[sandbox.container_id]
    veth = record.endpoints[0].host_ifname
    assert link_exists(veth) and sandbox.netns_path.exists()
    room.service.destroy_sandbox(sandbox.container_id)
    assert not sandbox.netns_path.exists()
    wait_for(lambda: not link_exists(veth), "the veth to die with its namespace")
    assert settings_of(room.service, sandbox.container_id)["Networks"]["tidy"]["IPAddress"] == ""
    pool = room.service.registry.pool(room.service.registry.resolve("tidy"))
    assert pool.allocations == {}

    bridges = [n.bridge_name for n in room.service.registry.bridges()]
    room.service.teardown()
    assert not any(link_exists(name) for name in bridges)
    assert room.config.chain_prefix not in iptables_save()
    assert list((room.root / "exec").iterdir()) == []


def test_connect_while_stopped_takes_effect_at_the_next_start(room: Room) -> None:
    room.network("first", room.subnet(0))
    room.network("second", room.subnet(1))
    spec = room.spec("later", "first")
    room.service.register_container(spec)
    room.service.connect("second", spec.container_id, {"Aliases": ["l8r"]})
    stopped = settings_of(room.service, spec.container_id)["Networks"]
    assert set(stopped) == {"first", "second"} and stopped["second"]["IPAddress"] == ""
    with pytest.raises(Forbidden) as caught:
        room.service.connect("second", spec.container_id, {})
    assert caught.value.message == "endpoint with name later already exists in network second"
    with pytest.raises(Forbidden) as caught:
        room.service.connect("host", spec.container_id, {})
    assert caught.value.message == "container cannot be disconnected from host network or connected to host network"

    sandbox = room.sandbox(spec)
    assert links_in(sandbox.netns_path) == ["eth0", "eth1", "lo"]
    assert address_on(sandbox, "second").startswith(f"10.213.{room.base + 5}.")
    peer = room.sandbox(room.spec("peer", "second"))
    assert f"Address: {address_on(sandbox, 'second')}" in resolve(peer, "l8r").stdout

    room.service.destroy_sandbox(sandbox.container_id)
    room.service.disconnect("first", spec.container_id)
    again = room.sandbox(spec)
    assert list(again.settings["Networks"]) == ["second"]
    assert links_in(again.netns_path) == ["eth0", "lo"]


def test_a_taken_veth_name_is_left_alone_and_another_tried(room: Room, monkeypatch) -> None:
    """Host-side veth names are random and not looked up first: a name another link has makes the creation
    fail with EEXIST, and that link must survive while the endpoint gets the next name."""
    taken = "vethc0ffee1"
    subprocess.run(["ip", "link", "add", taken, "type", "veth", "peer", "name", "vethc0ffee2"], check=True)
    try:
        names = iter(["c0ffee1f", "beefcafe"])
        monkeypatch.setattr("runtime.network.endpoints.secrets.token_hex", lambda n: next(names))
        sandbox = room.service.create_sandbox(room.spec("lucky"))
        assert link_exists(taken) and link_exists("vethbeefcaf")
        room.service.destroy_sandbox(sandbox.container_id)
    finally:
        delete_link(taken)
