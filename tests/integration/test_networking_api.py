"""`docker network` ls, inspect, rm, prune and the refusals of the /networks API, through the daemon (issue 3)."""

import json

import docker
import pytest
from docker.types import IPAMConfig, IPAMPool

pytestmark = pytest.mark.root

SLEEPER = ("busybox", "sleep", "300")


def subnet(ph, third_octet: int, prefix: int = 24) -> str:
    """A subnet inside this daemon's own 10.<octet>.0.0/16, away from its bip and its address pool's start."""
    return f"10.{ph.octet}.{third_octet}.0/{prefix}"


def inspect(ph, network: str) -> dict:
    return json.loads(ph.docker("network", "inspect", network, check=True).stdout)[0]


def test_create_inspect_ls_and_rm(ph):
    network_id = (
        ph.docker(
            "network",
            "create",
            "--subnet",
            subnet(ph, 200),
            "--ip-range",
            f"10.{ph.octet}.200.128/25",
            "--label",
            "team=net",
            "-o",
            "com.docker.network.bridge.name=phtest-br0",
            "listed",
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    try:
        shown = inspect(ph, "listed")
        assert shown["Id"] == network_id and shown["Driver"] == "bridge" and shown["Scope"] == "local"
        assert shown["IPAM"]["Config"] == [{"Subnet": subnet(ph, 200), "IPRange": f"10.{ph.octet}.200.128/25"}]
        assert shown["Labels"] == {"team": "net"}
        assert open("/sys/class/net/phtest-br0/bridge/bridge_id").read()  # the bridge, named as asked
        ph.docker("run", "-d", "--name", "member", "--network", "listed", *SLEEPER, check=True)
        member = inspect(ph, "listed")["Containers"]
        assert [entry["Name"] for entry in member.values()] == ["member"]
        assert list(member.values())[0]["IPv4Address"] == f"10.{ph.octet}.200.128/24"  # first of the ip-range

        names = ph.docker("network", "ls", "--format", "{{.Name}}", check=True).stdout.decode().split()
        assert {"bridge", "host", "none", "listed"} <= set(names)
        custom = ph.docker("network", "ls", "-q", "--no-trunc", "--filter", "type=custom", check=True).stdout
        assert custom.decode().split() == [network_id]
        by_label = ph.docker("network", "ls", "--filter", "label=team=net", "--format", "{{.Name}}", check=True)
        assert by_label.stdout == b"listed\n"
        ph.docker("rm", "-f", "member", check=True)
        assert ph.docker("network", "rm", "listed", check=True).stdout == b"listed\n"
        assert ph.docker("network", "inspect", "listed").returncode != 0
        assert not open("/proc/net/dev").read().count("phtest-br0")
    finally:
        ph.docker("rm", "-f", "member")
        ph.docker("network", "rm", "listed")


def test_prune_removes_only_unused_user_networks(ph, client):
    for name in ("unused1", "unused2", "busy"):
        ph.docker("network", "create", name, check=True)
    ph.docker("run", "-d", "--name", "user", "--network", "busy", *SLEEPER, check=True)
    pruned = ph.docker("network", "prune", "-f", check=True).stdout.decode()
    assert "unused1" in pruned and "unused2" in pruned and "busy" not in pruned
    assert {n.name for n in client.networks.list()} == {"bridge", "host", "none", "busy"}
    assert not client.networks.prune()["NetworksDeleted"]


def test_ipam_config_shows_a_gateway_only_if_given_or_allocated_with_the_subnet(ph, client):
    ph.docker("network", "create", "--subnet", subnet(ph, 201), "no-gateway", check=True)
    ph.docker("network", "create", "--subnet", subnet(ph, 202), "--gateway", f"10.{ph.octet}.202.9", "gw", check=True)
    ph.docker("network", "create", "allocated", check=True)
    assert inspect(ph, "no-gateway")["IPAM"]["Config"] == [{"Subnet": subnet(ph, 201)}]
    assert inspect(ph, "gw")["IPAM"]["Config"] == [{"Subnet": subnet(ph, 202), "Gateway": f"10.{ph.octet}.202.9"}]
    assert set(inspect(ph, "allocated")["IPAM"]["Config"][0]) == {"Subnet", "Gateway"}
    # the bridge still takes the subnet's first address, and a container still routes through it
    ph.docker("run", "-d", "--name", "on-no-gateway", "--network", "no-gateway", *SLEEPER, check=True)
    endpoint = client.containers.get("on-no-gateway").attrs["NetworkSettings"]["Networks"]["no-gateway"]
    assert endpoint["Gateway"] == f"10.{ph.octet}.201.1"
    ph.docker("rm", "-f", "on-no-gateway", check=True)
    for network in ("no-gateway", "gw", "allocated"):
        ph.docker("network", "rm", network, check=True)


def test_removing_a_network_in_use_is_refused_with_409(ph, client):
    ph.docker("network", "create", "held", check=True)
    ph.docker("run", "-d", "--name", "holder", "--network", "held", *SLEEPER, check=True)
    refused = ph.docker("network", "rm", "held")
    assert refused.returncode != 0 and b"has active endpoints" in refused.stderr
    with pytest.raises(docker.errors.APIError) as error:
        client.networks.get("held").remove()
    assert error.value.status_code == 409
    ph.docker("rm", "-f", "holder", check=True)
    ph.docker("network", "rm", "held", check=True)


def test_predefined_networks_cannot_be_removed(ph, client):
    for name in ("bridge", "host", "none"):
        with pytest.raises(docker.errors.APIError) as error:
            client.networks.get(name).remove()
        assert error.value.status_code == 403
        assert "pre-defined network and cannot be removed" in str(error.value.explanation)


def test_overlapping_subnets_are_refused(ph, client):
    ph.docker("network", "create", "--subnet", subnet(ph, 210), "wide", check=True)
    overlap = ph.docker("network", "create", "--subnet", subnet(ph, 210, 25), "narrow")
    assert overlap.returncode != 0
    assert b"Pool overlaps with other one on this address space" in overlap.stderr
    with pytest.raises(docker.errors.APIError) as error:  # the default bridge's own subnet (--bip)
        client.networks.create("on-bip", ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=f"10.{ph.octet}.0.0/16")]))
    assert error.value.status_code == 403
    assert {n.name for n in client.networks.list()} == {"bridge", "host", "none", "wide"}


def create_with_address(client, network: str, address: str) -> None:
    """POST /containers/create through docker-py's low-level API, with a static address on network."""
    api = client.api
    api.create_container(
        "busybox",
        ["true"],
        name="refused-by-api",
        host_config=api.create_host_config(network_mode=network),
        networking_config=api.create_networking_config({network: api.create_endpoint_config(ipv4_address=address)}),
    )


@pytest.mark.parametrize(
    ("with_subnet", "address", "message"),
    [
        (True, "10.9.9.9", "no configured subnet or ip-range contain the IP address 10.9.9.9"),
        (
            False,
            "GATEWAY+8",
            "user specified IP address is supported only when connecting to networks with user configured subnets",
        ),
    ],
)
def test_bad_static_addresses_are_refused_with_400(ph, client, with_subnet, address, message):
    flags = ("--subnet", subnet(ph, 220)) if with_subnet else ()
    ph.docker("network", "create", *flags, "static", check=True)
    allocated = client.networks.get("static").attrs["IPAM"]["Config"][0]["Subnet"]
    address = address.replace("GATEWAY+8", allocated.rpartition(".")[0] + ".9")
    created = ph.docker("create", "--name", "refused", "--network", "static", "--ip", address, "busybox", "true")
    assert created.returncode != 0
    assert message.encode() in created.stderr
    with pytest.raises(docker.errors.APIError) as error:
        create_with_address(client, "static", address)
    assert error.value.status_code == 400 and message in str(error.value.explanation)
    assert ph.docker("ps", "-aq").stdout == b""  # nothing of a refused create stays


def test_a_malformed_static_address_is_refused_with_400(ph, client):
    ph.docker("network", "create", "--subnet", subnet(ph, 221), "malformed", check=True)
    with pytest.raises(docker.errors.APIError) as error:
        create_with_address(client, "malformed", "10.1.2")
    assert error.value.status_code == 400
    assert "IPv4Address '10.1.2': not an IPv4 address" in str(error.value.explanation)


def test_an_unknown_network_fails_the_start_with_404_as_in_docker(ph, client):
    missing = ph.docker("run", "--name", "early", "--network", "late-network", "busybox", "true")
    assert missing.returncode == 125
    assert b"network late-network not found" in missing.stderr
    assert b"Unable to find image" not in missing.stderr  # create succeeded: the CLI did not try a pull
    assert client.containers.get("early").status == "created"
    with pytest.raises(docker.errors.NotFound):
        client.networks.get("late-network")
    ph.docker("network", "create", "late-network", check=True)
    assert ph.docker("start", "-a", "early", check=True).returncode == 0  # looked up again at start
    assert client.containers.get("early").attrs["State"]["ExitCode"] == 0


def test_connect_a_stopped_container_takes_effect_at_start(ph, client):
    ph.docker("network", "create", "first", check=True)
    ph.docker("network", "create", "second", check=True)
    ph.docker("create", "--name", "later", "--network", "first", *SLEEPER, check=True)
    ph.docker("network", "connect", "second", "later", check=True)
    ph.docker("start", "later", check=True)
    networks = client.containers.get("later").attrs["NetworkSettings"]["Networks"]
    assert set(networks) == {"first", "second"} and all(n["IPAddress"] for n in networks.values())
    interfaces = ph.docker("exec", "later", "ls", "/sys/class/net", check=True).stdout.split()
    assert sorted(interfaces) == [b"eth0", b"eth1", b"lo"]


def test_an_alias_on_the_default_bridge_is_refused_with_400(ph, client):
    api = client.api  # the docker CLI refuses this itself: the daemon's answer is seen through docker-py
    with pytest.raises(docker.errors.APIError) as error:
        api.create_container(
            "busybox",
            ["true"],
            host_config=api.create_host_config(network_mode="bridge"),
            networking_config=api.create_networking_config({"bridge": api.create_endpoint_config(aliases=["nick"])}),
        )
    assert error.value.status_code == 400
    assert "network-scoped alias is supported only for containers in user defined networks" in str(error.value)
    assert ph.docker("ps", "-aq").stdout == b""


def test_connect_with_a_static_address_and_an_alias(ph, client):
    ph.docker("network", "create", "--subnet", subnet(ph, 225), "addressed", check=True)
    ph.docker("run", "-d", "--name", "peer", "--network", "addressed", *SLEEPER, check=True)
    ph.docker("run", "-d", "--name", "joiner", *SLEEPER, check=True)
    wanted = f"10.{ph.octet}.225.42"
    ph.docker("network", "connect", "--ip", wanted, "--alias", "db", "addressed", "joiner", check=True)
    entry = client.containers.get("joiner").attrs["NetworkSettings"]["Networks"]["addressed"]
    assert entry["IPAddress"] == wanted and entry["IPAMConfig"] == {"IPv4Address": wanted}
    assert ph.docker("exec", "peer", "ping", "-c1", "-W2", "db").returncode == 0
    taken = ph.docker("run", "--rm", "--network", "addressed", "--ip", wanted, "busybox", "true")
    assert taken.returncode != 0 and b"Address already in use" in taken.stderr
    client.networks.get("addressed").connect(
        client.containers.run("busybox", ["sleep", "300"], detach=True), ipv4_address=f"10.{ph.octet}.225.43"
    )
    held = {c["IPv4Address"] for c in client.networks.get("addressed").attrs["Containers"].values()}
    assert {f"{wanted}/24", f"10.{ph.octet}.225.43/24"} <= held


DANGLING_VALUE = """invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")"""


@pytest.mark.parametrize(
    ("args", "with_docker_py", "status", "message"),
    [
        (
            ("network", "create", "none"),
            lambda client: client.networks.create("none"),
            403,
            "operation is not permitted on predefined none network",
        ),
        (
            ("network", "create", "default"),
            lambda client: client.networks.create("default"),
            403,
            "operation is not permitted on predefined default network",
        ),
        (
            ("network", "create", "-d", "foo", "x1"),
            lambda client: client.networks.create("x1", driver="foo"),
            404,
            'plugin "foo" not found',
        ),
        (
            ("network", "disconnect", "-f", "bridge", "no-such-container"),
            lambda client: client.api.disconnect_container_from_network("no-such-container", "bridge", force=True),
            404,
            "endpoint no-such-container not found",  # with force, moby looks for a stale endpoint by that name
        ),
        (
            ("network", "disconnect", "bridge", "no-such-container"),
            lambda client: client.api.disconnect_container_from_network("no-such-container", "bridge"),
            404,
            "No such container: no-such-container",
        ),
        (
            ("network", "disconnect", "-f", "no-such-network", "no-such-container"),
            lambda client: client.api.disconnect_container_from_network("no-such-container", "no-such-network", True),
            404,
            "network no-such-network not found",
        ),
        (
            ("network", "ls", "--filter", "dangling=maybe"),
            lambda client: client.networks.list(filters={"dangling": "maybe"}),
            400,
            DANGLING_VALUE,
        ),
    ],
)
def test_refusals_read_as_dockers(ph, client, args, with_docker_py, status, message):
    refused = ph.docker(*args)
    assert refused.returncode == 1
    assert f"Error response from daemon: {message}".encode() in refused.stderr
    with pytest.raises(docker.errors.APIError) as error:
        with_docker_py(client)
    assert error.value.status_code == status
    assert {n.name for n in client.networks.list()} == {"bridge", "host", "none"}
