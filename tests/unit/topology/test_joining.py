"""Connections from sockets: every way a client reaches a server, each connection once, client -> server."""

from tests.unit.topology.reports import (
    CLIENT_ID,
    HOST_NETNS,
    IDLE_ID,
    PUBLISHED_ID,
    SERVER_ID,
    container,
    endpoint,
    host,
    listener,
    process,
    report,
    talking_host,
)
from web.topology.joining import Connection, End, connections
from web.topology.report import PublishedPort


def pairs(found: list[Connection]) -> set[tuple]:
    return {
        (
            c.client.container or c.client.outside or f"host:{c.client.host}",
            c.client.pid,
            c.server.container or c.server.outside or f"host:{c.server.host}",
            c.server.pid,
            c.port,
            c.dialled,
        )
        for c in found
    }


def test_by_name_and_through_a_published_port_each_connection_once():
    found = connections([talking_host()])
    assert pairs(found) == {
        (CLIENT_ID, 30, SERVER_ID, 20, 80, "172.18.0.2:80"),  # the listener's process serves it
        (PUBLISHED_ID, 40, SERVER_ID, 20, 80, "172.17.0.1:8080"),  # the container behind the host's port
    }
    assert IDLE_ID not in {c.client.container for c in found} | {c.server.container for c in found}


def test_a_server_end_whose_client_socket_is_gone_still_gives_the_connection():
    # TIME_WAIT on the server's side only: no process on either end, the client known by its IP
    r = report(
        host(),
        [container(SERVER_ID, "server", 2, "172.18.0.2"), container(CLIENT_ID, "client", 3, "172.18.0.3")],
        [],
        [endpoint(2, None, ("172.18.0.2", 80), ("172.18.0.3", 40001), server=True)],
        [listener(2, 80, 20)],
    )
    assert pairs(connections([r])) == {(CLIENT_ID, None, SERVER_ID, 20, 80, "172.18.0.2:80")}


def test_loopback_stays_in_its_namespace_and_the_hosts_loopback_reaches_published_ports():
    server = container(SERVER_ID, "server", 2, "172.18.0.2", ports=(PublishedPort(80, "tcp", "0.0.0.0", 8080),))
    r = report(
        host(),
        [server],
        [process(20, "httpd", 2, SERVER_ID), process(25, "worker", 2, SERVER_ID), process(70, "curl", HOST_NETNS)],
        [
            endpoint(2, 25, ("127.0.0.1", 41000), ("127.0.0.1", 80)),  # inside the container
            endpoint(2, 20, ("127.0.0.1", 80), ("127.0.0.1", 41000), server=True),
            endpoint(HOST_NETNS, 70, ("127.0.0.1", 42000), ("127.0.0.1", 8080)),  # the host's curl localhost:8080
        ],
        [listener(2, 80, 20)],
    )
    found = connections([r])
    assert pairs(found) == {
        (SERVER_ID, 25, SERVER_ID, 20, 80, "127.0.0.1:80"),
        ("host:vm", 70, SERVER_ID, 20, 80, "127.0.0.1:8080"),
    }


def test_outside_addresses_both_ways_and_unknown_local_ones_dropped():
    r = report(
        host(),
        [container(SERVER_ID, "server", 2, "172.18.0.2")],
        [process(20, "httpd", 2, SERVER_ID)],
        [
            endpoint(2, 20, ("172.18.0.2", 45000), ("93.184.216.34", 443)),  # out to the internet
            endpoint(2, 20, ("172.18.0.2", 80), ("198.51.100.7", 50123), server=True),  # in from it
            endpoint(2, 20, ("172.18.0.2", 46000), ("10.0.2.99", 5432)),  # on the host's LAN: no one we know
        ],
        [listener(2, 80, 20)],
    )
    assert pairs(connections([r])) == {
        (SERVER_ID, 20, "93.184.216.34", None, 443, "93.184.216.34:443"),
        ("198.51.100.7", None, SERVER_ID, 20, 80, ""),
    }


def test_across_hosts_a_container_reaches_another_hosts_published_port_and_process():
    a = report(
        host("a", addresses=("192.168.1.10", "172.17.0.1"), networks=("192.168.1.0/24",)),
        [container(CLIENT_ID, "client", 3, "172.17.0.2", network="bridge")],
        [process(30, "nc", 3, CLIENT_ID)],
        [
            endpoint(3, 30, ("172.17.0.2", 40000), ("192.168.1.20", 8080)),  # b's published port
            endpoint(3, 30, ("172.17.0.2", 40001), ("192.168.1.20", 22)),  # b's sshd
        ],
    )
    server = talking_host(host_id="b", addresses=("192.168.1.20", "172.17.0.1"), networks=("192.168.1.0/24",))
    found = [c for c in connections([a, server]) if c.client.host == "a"]
    assert {(c.client, c.server, c.port) for c in found} == {
        (End("a", CLIENT_ID, 30), End("b", SERVER_ID, 20), 80),
        (End("a", CLIENT_ID, 30), End("b", None, 60), 22),
    }


def test_an_ip_both_hosts_use_names_the_container_of_the_dialling_host():
    a = report(
        host("a", netns=1),
        [container(CLIENT_ID, "client", 3, "172.17.0.2"), container(SERVER_ID, "server", 4, "172.17.0.3")],
        [],
        [endpoint(3, 30, ("172.17.0.2", 40000), ("172.17.0.3", 80))],
        [listener(4, 80, 40)],
    )
    b = report(host("b", netns=1), [container(IDLE_ID, "other", 4, "172.17.0.3")], [], [], [listener(4, 80, 41)])
    (only,) = connections([a, b])
    assert only.server == End("a", SERVER_ID, 40)
