"""Helpers for the topology's tests against a real daemon (this module holds no tests): the talking
containers the map is proven on, and an in-process app whose probe reports on demand."""

from __future__ import annotations

from dataclasses import dataclass

import docker

from tests.support.waiting import wait_for
from web import create_app
from web.state import EXTENSION as STATE

NETWORK = "topo-net"
SERVER = "topo-server"
CLIENT = "topo-client"  # by name, on the user-defined network
PUBLISHED_CLIENT = "topo-published"  # through the server's published port, from the default bridge
IDLE = "topo-idle"

# httpd answers and closes at once (HTTP/1.0), so a poller's connections live a millisecond: the map sees
# them mostly as the server's TIME_WAIT sockets. A request whose headers never end keeps one connection
# open (until httpd's header timeout), so both its ends and their processes are seen at every report.
_HELD = '(printf "GET / HTTP/1.0\\r\\n"; sleep 50) | nc {target} {port}'
_POLL = 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc {target} {port} >/dev/null; sleep 0.2'


def client_command(target: str, port: int, *, poll: bool) -> list[str]:
    loop = f"(while true; do {_HELD.format(target=target, port=port)}; done)"
    if poll:
        loop += f" & while true; do {_POLL.format(target=target, port=port)}; done"
    return ["sh", "-c", loop]


@dataclass
class Talking:
    containers: dict[str, docker.models.containers.Container]
    published_port: int
    gateway: str  # the default bridge's gateway: a host address


def start_talking(client: docker.DockerClient, gateway: str) -> Talking:
    """A server (busybox httpd, port 80 published on a free host port), a client polling it by name on a
    user-defined network, a client reaching its published port from the default bridge, and an idle one."""
    client.networks.create(NETWORK, driver="bridge")
    server = client.containers.run(
        "busybox",
        ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"],
        name=SERVER,
        network=NETWORK,
        ports={"80/tcp": None},
        detach=True,
    )
    server.reload()
    port = int(server.ports["80/tcp"][0]["HostPort"])
    containers = {
        SERVER: server,
        CLIENT: client.containers.run(
            "busybox", client_command(SERVER, 80, poll=True), name=CLIENT, network=NETWORK, detach=True
        ),
        PUBLISHED_CLIENT: client.containers.run(
            "busybox", client_command(gateway, port, poll=False), name=PUBLISHED_CLIENT, detach=True
        ),
        IDLE: client.containers.run("busybox", ["sleep", "100000"], name=IDLE, detach=True),
    }
    for container in containers.values():
        wait_for(lambda c=container: c.reload() or c.status == "running", 20, what=f"{container.name} to run")
    return Talking(containers, port, gateway)


@dataclass
class MapApp:
    app: object

    @property
    def http(self):
        return self.app.test_client()

    def report(self) -> None:
        """The app's probe reports now (its thread is off: each test decides when)."""
        self.app.extensions["topology"].local.report_once()

    def nodes(self, topology: str, **query: str) -> dict:
        response = self.http.get(f"/api/topology/{topology}", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["nodes"]

    def node(self, topology: str, node_id: str) -> dict:
        response = self.http.get(f"/api/topology/{topology}/{node_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["node"]

    def close(self) -> None:
        self.app.extensions["topology"].close()
        self.app.extensions[STATE].close()


def map_app(engine_url: str, **config) -> MapApp:
    return MapApp(create_app({"ENGINE_URL": engine_url, "TOPOLOGY_PROBE_THREAD": False, **config}))


def by_label(nodes: dict) -> dict[str, dict]:
    return {node["label"]: node for node in nodes.values()}
