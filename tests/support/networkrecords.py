"""Records of the network room for tests of its store and of the shapes rendered from it: a user-defined
network, the default bridge, and a running container on both with a published port."""

from runtime.network.records import ContainerRecord, EndpointRecord, NetworkRecord, PortMapping, PortRequest

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
