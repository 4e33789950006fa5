"""Hand-built reports for the topology's unit tests: two hosts, their containers and sockets."""

from web.topology.report import (
    ContainerFacts,
    Endpoint,
    HostFacts,
    Listener,
    NetworkAddress,
    ProcessFacts,
    PublishedPort,
    Report,
)

HOST_NETNS = 1000
SERVER_ID, CLIENT_ID, PUBLISHED_ID, IDLE_ID = "5e" * 32, "c1" * 32, "9b" * 32, "1d" * 32


def host(
    host_id="vm", addresses=("10.0.2.15", "172.18.0.1", "172.17.0.1"), networks=("10.0.2.0/24",), netns=HOST_NETNS
):
    return HostFacts(id=host_id, hostname=host_id, netns=netns, addresses=addresses, networks=networks)


def container(cid, name, netns, ip, *, network="net", ports=(), state="running", image="busybox"):
    return ContainerFacts(
        id=cid,
        name=name,
        image=image,
        state=state,
        pid=netns if netns else 0,
        netns=netns,
        networks=(NetworkAddress(network, ip, 16),) if ip else (),
        ports=ports,
        cpu_percent=1.0,
        memory_bytes=1 << 20,
    )


def process(pid, name, netns, container_id=None, ppid=1):
    return ProcessFacts(
        pid=pid, ppid=ppid, name=name, cmdline=name, threads=1, rss_bytes=4096, netns=netns, container=container_id
    )


def endpoint(netns, pid, local, remote, server=False):
    (lip, lport), (rip, rport) = local, remote
    return Endpoint(netns, pid, lip, lport, rip, rport, server)


def listener(netns, port, pid, ip="0.0.0.0"):
    return Listener(netns, ip, port, pid)


def report(host_facts, containers=(), processes=(), endpoints=(), listeners=(), t=100.0):
    return Report(
        f"{host_facts.id};p", t, host_facts, tuple(containers), tuple(processes), tuple(endpoints), tuple(listeners)
    )


def talking_host(t=100.0, **host_args):
    """The integration test's scene: a server (httpd, 172.18.0.2:80, published on 8080), a client on its
    network, a client on the default bridge dialling the gateway's 8080, and an idle container."""
    server = container(SERVER_ID, "server", 2, "172.18.0.2", ports=(PublishedPort(80, "tcp", "0.0.0.0", 8080),))
    client = container(CLIENT_ID, "client", 3, "172.18.0.3")
    published = container(PUBLISHED_ID, "published", 4, "172.17.0.2", network="bridge")
    idle = container(IDLE_ID, "idle", 5, "172.17.0.3", network="bridge")
    return report(
        host(**host_args),
        [server, client, published, idle],
        [
            process(20, "httpd", 2, SERVER_ID),
            process(21, "httpd", 2, SERVER_ID, ppid=20),
            process(30, "nc", 3, CLIENT_ID),
            process(40, "nc", 4, PUBLISHED_ID),
            process(50, "sleep", 5, IDLE_ID),
            process(60, "sshd", HOST_NETNS),
        ],
        [
            # client -> server:80 by name, both ends seen
            endpoint(3, 30, ("172.18.0.3", 40000), ("172.18.0.2", 80)),
            endpoint(2, 21, ("172.18.0.2", 80), ("172.18.0.3", 40000), server=True),
            # published -> gateway:8080, DNATed to server:80 and masqueraded (the server sees the gateway)
            endpoint(4, 40, ("172.17.0.2", 50000), ("172.17.0.1", 8080)),
            endpoint(2, 21, ("172.18.0.2", 80), ("172.18.0.1", 61000), server=True),
        ],
        [listener(2, 80, 20), listener(HOST_NETNS, 22, 60)],
        t=t,
    )
