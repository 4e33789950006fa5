"""Published ports through the daemon (issue 3): a busybox httpd published with -p HOST:80, -p IP:HOST:80,
-p 80 and -P answers the host's curl and urllib on 127.0.0.1 and other containers through the host's
address on their bridge; ps, inspect and `docker port` show the bindings; a host port has one holder."""

import socket
import subprocess
import urllib.request
from pathlib import Path

import docker
import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

PAGE = "hello from httpd"
# busybox httpd serving PAGE as /index.html (busybox wget crashes in Debian's static build: clients use nc)
HTTPD = ("busybox", "sh", "-c", f"mkdir -p /www && echo '{PAGE}' > /www/index.html && exec httpd -f -p 80 -h /www")
REQUEST = r'printf "GET /index.html HTTP/1.0\r\n\r\n" | nc {host} {port}'


def free_port() -> int:
    """A TCP port no one holds now (the daemon refuses it with 409 if a race takes it meanwhile)."""
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


def curl(port: int, host: str = "127.0.0.1") -> str:
    done = subprocess.run(["curl", "-s", "-m", "2", f"http://{host}:{port}/index.html"], capture_output=True)
    return done.stdout.decode()


def urlopen(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as response:
        return response.read().decode()


def serves(port: int) -> bool:
    return curl(port).strip() == PAGE


def run_httpd(ph, name: str, *publish: str, image_args: tuple[str, ...] = HTTPD) -> str:
    return ph.docker("run", "-d", "--name", name, *publish, *image_args, check=True).stdout.decode().strip()


def gateway(client, network: str) -> str:
    return client.networks.get(network).attrs["IPAM"]["Config"][0]["Gateway"]


def test_published_httpd_answers_curl_and_urllib_on_loopback_and_shows_everywhere(ph, client):
    any_address, loopback_only = free_port(), free_port()
    run_httpd(ph, "web", "-p", f"{any_address}:80", "-p", f"127.0.0.1:{loopback_only}:80", "-p", "80")
    wait_for(lambda: serves(any_address), 10, what=f"httpd on 127.0.0.1:{any_address}")

    assert urlopen(any_address).strip() == PAGE
    assert curl(loopback_only).strip() == PAGE
    bindings = client.containers.get("web").attrs["NetworkSettings"]["Ports"]["80/tcp"]
    by_ip = {(b["HostIp"], b["HostPort"]) for b in bindings}
    chosen = [int(p) for ip, p in by_ip if ip == "0.0.0.0" and int(p) != any_address]
    assert len(chosen) == 1 and by_ip == {
        ("0.0.0.0", str(any_address)),
        ("127.0.0.1", str(loopback_only)),
        ("0.0.0.0", str(chosen[0])),
    }
    assert curl(chosen[0]).strip() == PAGE  # the free port docker chose for `-p 80`

    port_lines = set(ph.docker("port", "web", check=True).stdout.decode().splitlines())
    assert port_lines == {
        f"80/tcp -> 0.0.0.0:{any_address}",
        f"80/tcp -> 127.0.0.1:{loopback_only}",
        f"80/tcp -> 0.0.0.0:{chosen[0]}",
    }
    ps_ports = ph.docker("ps", "--filter", "name=web", "--format", "{{.Ports}}", check=True).stdout.decode()
    for shown in (
        f"0.0.0.0:{any_address}->80/tcp",
        f"127.0.0.1:{loopback_only}->80/tcp",
        f"0.0.0.0:{chosen[0]}->80/tcp",
    ):
        assert shown in ps_ports


def test_loopback_only_binding_is_not_served_on_the_bridge_address(ph, client):
    port = free_port()
    run_httpd(ph, "lonly", "-p", f"127.0.0.1:{port}:80")
    wait_for(lambda: serves(port), 10, what="httpd on loopback")
    assert curl(port, host=gateway(client, "bridge")) == ""


def test_another_container_reaches_the_published_port_through_the_hosts_address(ph, client):
    port = free_port()
    run_httpd(ph, "pub", "-p", f"{port}:80")
    wait_for(lambda: serves(port), 10, what="httpd")
    ph.docker("network", "create", "elsewhere", check=True)
    for network in ("bridge", "elsewhere"):  # the same bridge (hairpin through the host) and another one
        host = gateway(client, network)
        page = ph.docker(
            "run", "--rm", "--network", network, "busybox", "sh", "-c", REQUEST.format(host=host, port=port), check=True
        ).stdout.decode()
        assert page.startswith("HTTP/1.") and page.rstrip().endswith(PAGE), (network, page)
    # the container may also reach itself through its published port
    page = ph.docker(
        "exec", "pub", "sh", "-c", REQUEST.format(host=gateway(client, "bridge"), port=port), check=True
    ).stdout.decode()
    assert page.rstrip().endswith(PAGE)


def test_publish_all_publishes_the_ports_an_imported_image_exposes(ph, client, busybox_rootfs):
    ph.docker(
        "import",
        "-c",
        "EXPOSE 80",
        "-c",
        'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]',
        str(busybox_rootfs),
        "busybox-web:latest",
        check=True,
    )
    try:
        assert client.images.get("busybox-web:latest").attrs["Config"]["ExposedPorts"] == {"80/tcp": {}}
        ph.docker(
            "run",
            "-d",
            "--name",
            "exposed",
            "-P",
            "busybox-web",
            "sh",
            "-c",
            f"mkdir -p /www && echo '{PAGE}' > /www/index.html && exec httpd -f -p 80 -h /www",
            check=True,
        )
        line = ph.docker("port", "exposed", "80/tcp", check=True).stdout.decode().split()[0]
        host_ip, _, host_port = line.rpartition(":")
        assert host_ip == "0.0.0.0"
        wait_for(lambda: serves(int(host_port)), 10, what="httpd published by -P")
        container = client.containers.get("exposed")
        assert container.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": host_port}]}
    finally:
        ph.docker("rm", "-f", "exposed")
        ph.docker("rmi", "busybox-web:latest")


def test_an_exposed_port_without_publishing_shows_as_unbound(ph, client):
    ph.docker("run", "-d", "--name", "quiet", "--expose", "8080", "busybox", "sleep", "300", check=True)
    assert client.containers.get("quiet").attrs["NetworkSettings"]["Ports"] == {"8080/tcp": None}
    assert ph.docker("port", "quiet", check=True).stdout == b""
    ps_ports = ph.docker("ps", "--filter", "name=quiet", "--format", "{{.Ports}}", check=True).stdout
    assert ps_ports.strip() == b"8080/tcp"


def test_two_containers_cannot_take_one_host_port(ph, client):
    port = free_port()
    run_httpd(ph, "first", "-p", f"{port}:80")
    second = ph.docker("run", "-d", "--name", "second", "-p", f"{port}:80", "busybox", "sleep", "300")
    assert second.returncode != 0
    assert f"Bind for 0.0.0.0:{port} failed: port is already allocated".encode() in second.stderr
    with pytest.raises(docker.errors.APIError) as refused:
        client.containers.get("second").start()
    assert refused.value.status_code == 409
    assert client.containers.get("second").status == "created"
    # its init, which joined its cgroup while the network was being made, gave up and left: the cgroup is gone
    second_id = client.containers.get("second").id
    assert not [c for c in Path("/sys/fs/cgroup").glob(f"*/{ph.cgroup_parent}/{second_id}")]
    # a loopback-only binding of the same port also overlaps 0.0.0.0
    third = ph.docker("run", "-d", "--name", "third", "-p", f"127.0.0.1:{port}:80", "busybox", "sleep", "300")
    assert third.returncode != 0
    wait_for(lambda: serves(port), 10, what="the first holder still serving")


def test_a_published_port_is_released_when_its_container_stops(ph):
    port = free_port()
    run_httpd(ph, "holder", "-p", f"{port}:80")
    wait_for(lambda: serves(port), 10, what="httpd")
    ph.docker("rm", "-f", "holder", check=True)
    assert curl(port) == ""
    run_httpd(ph, "next-holder", "-p", f"{port}:80")
    wait_for(lambda: serves(port), 10, what="the port served by its next holder")
    with socket.socket() as host_process:
        with pytest.raises(OSError):
            host_process.bind(("0.0.0.0", port))  # the daemon reserves the port against host processes


def udp_no_ports(ph, container: str) -> int:
    """Datagrams that reached the container's namespace for a port nothing listens on (its /proc/net/snmp)."""
    snmp = ph.docker("exec", container, "cat", "/proc/net/snmp", check=True).stdout.decode().splitlines()
    names, values = (line.split()[1:] for line in snmp if line.startswith("Udp:"))
    return int(dict(zip(names, values, strict=True))["NoPorts"])


def test_udp_ports_are_published(ph):
    # busybox has no UDP server: the container's own counters show the datagram arrived at its port
    port = free_port()
    ph.docker(
        "run", "-d", "--name", "udp-target", "-p", f"127.0.0.1:{port}:5353/udp", "busybox", "sleep", "300", check=True
    )
    assert ph.docker("port", "udp-target", check=True).stdout.decode().strip() == f"5353/udp -> 127.0.0.1:{port}"
    before = udp_no_ports(ph, "udp-target")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"to-the-container", ("127.0.0.1", port))
    wait_for(lambda: udp_no_ports(ph, "udp-target") > before, 10, what="the datagram in the container's counters")


def test_a_container_on_a_user_network_publishes_too(ph, client):
    ph.docker("network", "create", "published-net", check=True)
    port = free_port()
    run_httpd(ph, "user-web", "--network", "published-net", "-p", f"127.0.0.1:{port}:80")
    wait_for(lambda: serves(port), 10, what="httpd on a user network through 127.0.0.1")
    address = client.containers.get("user-web").attrs["NetworkSettings"]["Networks"]["published-net"]["IPAddress"]
    assert curl(80, host=address).strip() == PAGE  # and directly on its own address, from the host
