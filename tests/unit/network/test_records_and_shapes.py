from runtime.network.records import ContainerRecord, EndpointRecord, NetworkRecord, PortMapping, PortRequest
from runtime.network.shapes import network_object, network_settings, ps_ports
from runtime.network.store import NetworkStore

NET = NetworkRecord(
    "a" * 64,
    "front",
    "bridge",
    "2026-01-01T00:00:00Z",
    subnet="10.1.0.0/24",
    gateway="10.1.0.1",
    user_subnet=True,
    bridge_name="br-aaaaaaaaaaaa",
)
BRIDGE = NetworkRecord(
    "b" * 64,
    "bridge",
    "bridge",
    "2026-01-01T00:00:00Z",
    subnet="10.200.0.0/16",
    gateway="10.200.0.1",
    bridge_name="porthole0",
    predefined=True,
)
RUNNING = ContainerRecord(
    container_id="c" * 64,
    name="web",
    hostname="cccccccccccc",
    container_dir="/x",
    mode="bridge",
    endpoints=(
        EndpointRecord(BRIDGE.id, (), None, None, "e1", "10.200.0.5", "02:42:0a:c8:00:05", "veth1", "eth0"),
        EndpointRecord(NET.id, ("api",), "10.1.0.9", None, "e2", "10.1.0.9", "02:42:0a:01:00:09", "veth2", "eth1"),
    ),
    port_requests=(PortRequest("tcp", 80, "0.0.0.0", 8080, 8080),),
    exposed_ports=("443/tcp", "80/tcp"),
    running=True,
    sandbox_id="s" * 64,
    netns_path="/run/porthole/netns/" + "c" * 64,
    ports=(PortMapping("tcp", 80, "0.0.0.0", 8080),),
)
NETWORKS = {NET.id: NET, BRIDGE.id: BRIDGE}


def test_container_records_round_trip_through_the_store(tmp_path):
    store = NetworkStore(tmp_path)
    store.save_container(RUNNING)
    store.save_network(NET)
    assert store.load_containers() == [RUNNING]
    assert store.load_networks() == [NET]


def test_network_settings_of_a_running_container():
    settings = network_settings(RUNNING, NETWORKS)
    assert settings["SandboxKey"] == RUNNING.netns_path
    assert settings["Ports"] == {"443/tcp": None, "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    # the deprecated top-level fields come from the default bridge only, as in Docker
    assert (settings["IPAddress"], settings["Gateway"], settings["IPPrefixLen"]) == ("10.200.0.5", "10.200.0.1", 16)
    front = settings["Networks"]["front"]
    assert front["IPAddress"] == "10.1.0.9" and front["IPPrefixLen"] == 24 and front["Gateway"] == "10.1.0.1"
    assert front["IPAMConfig"] == {"IPv4Address": "10.1.0.9"}
    assert front["Aliases"] == ["api"]
    assert front["DNSNames"] == ["web", "api", "cccccccccccc"]
    assert settings["Networks"]["bridge"]["DNSNames"] is None  # no embedded DNS on the default bridge


def test_network_settings_of_a_stopped_container_keep_its_networks_without_addresses():
    settings = network_settings(RUNNING.stopped(), NETWORKS)
    assert set(settings["Networks"]) == {"bridge", "front"}
    assert settings["Networks"]["front"]["IPAddress"] == "" and settings["Ports"] == {}
    assert settings["IPAddress"] == "" and settings["SandboxKey"] == ""


def test_ps_ports():
    assert ps_ports(RUNNING) == [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"},
    ]
    assert ps_ports(RUNNING.stopped()) == [{"PrivatePort": 443, "Type": "tcp"}, {"PrivatePort": 80, "Type": "tcp"}]


def test_network_object_shape():
    shape = network_object(NET, {})
    assert shape["IPAM"] == {
        "Driver": "default",
        "Options": {},
        "Config": [{"Subnet": "10.1.0.0/24", "Gateway": "10.1.0.1"}],
    }
    assert (shape["Scope"], shape["Driver"], shape["Containers"]) == ("local", "bridge", {})
    assert set(shape) >= {
        "Name",
        "Id",
        "Created",
        "EnableIPv6",
        "Internal",
        "Attachable",
        "Ingress",
        "ConfigFrom",
        "ConfigOnly",
        "Options",
        "Labels",
    }
