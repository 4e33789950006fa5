"""Connections, client -> server, from the connected sockets of every report.

A client end (a socket whose namespace does not listen on its local port) names its server by the address
it dialled: a loopback address is its own namespace (or, on the host, a port the host publishes); a
container's IP is that container; a host's address is the container behind the port that host publishes
there, else the host process listening on it. A server end whose client no probe saw (it came from
outside every known network, or its socket is gone: TIME_WAIT) gives the connection from its side. Both
ends of one connection give one Connection: its key is the client's address and the address it dialled.
Addresses on a known network that nothing owns (a NATed peer, a stopped container) give nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from web.topology.addresses import AddressBook, Place, is_loopback
from web.topology.report import Endpoint, Report


@dataclass(frozen=True, slots=True)
class End:
    """One side of a connection: a process (pid) of a container or of a host, or an outside address."""

    host: str  # "" outside
    container: str | None  # None: the host's own process (or outside)
    pid: int | None  # None: not known (its socket is gone, or it is outside)
    outside: str | None = None  # the address, for an end outside every known network

    @classmethod
    def at(cls, place: Place, pid: int | None) -> End:
        return cls(place.host, place.container, pid)


@dataclass(frozen=True, slots=True)
class Connection:
    client: End
    server: End
    port: int  # the port the server listens on (behind a published port: the container's)
    dialled: str  # the address:port the client connected to (a published port shows here)


def connections(reports: Iterable[Report], book: AddressBook | None = None) -> list[Connection]:
    reports = list(reports)
    book = book or AddressBook(reports)
    found: dict[tuple, Connection] = {}
    for report in reports:
        host = report.host.id
        for e in report.endpoints:
            place = book.place(host, e.netns)
            if place is None:
                continue
            joined = _from_server(book, place, e) if e.server else _from_client(book, place, e)
            if joined is not None:
                key, connection = joined
                found.setdefault(key, connection)
    return list(found.values())


def _key(place: Place, e: Endpoint) -> tuple:
    return (place.host, place.netns, e.local_ip, e.local_port, e.remote_ip, e.remote_port)


def _from_client(book: AddressBook, place: Place, e: Endpoint) -> tuple[tuple, Connection] | None:
    server = _dialled(book, place, e.remote_ip, e.remote_port)
    if server is None:
        return None
    end, port = server
    dialled = f"[{e.remote_ip}]:{e.remote_port}" if ":" in e.remote_ip else f"{e.remote_ip}:{e.remote_port}"
    return _key(place, e), Connection(End.at(place, e.pid), end, port, dialled)


def _dialled(book: AddressBook, place: Place, ip: str, port: int) -> tuple[End, int] | None:
    """Who listens at ip:port as dialled from `place`, and on which port of its own."""
    if is_loopback(ip):
        listens, pid = book.listener_pid(place, ip, port)
        if listens:
            return End.at(place, pid), port
        if place.container is None:  # the host's loopback reaches what it publishes (OUTPUT DNAT)
            return _published(book, place.host, ip, port)
        return None
    container = book.container_at(ip, place.host)
    if container is not None:
        return End.at(container, book.listener_pid(container, ip, port)[1]), port
    host = book.host_at(ip, place.host)
    if host is not None:
        behind = _published(book, host, ip, port)
        if behind is not None:
            return behind
        host_place = book.place(host, book.host_netns[host])
        listens, pid = book.listener_pid(host_place, ip, port) if host_place is not None else (False, None)
        return (End.at(host_place, pid), port) if listens and host_place is not None else None
    if book.is_known(ip):
        return None
    return End("", None, None, outside=ip), port


def _published(book: AddressBook, host: str, ip: str, port: int) -> tuple[End, int] | None:
    behind = book.published(host, ip, port)
    if behind is None:
        return None
    container, container_port = behind
    place = book.place(host, container.netns) if container.netns is not None else None
    if place is None:
        return None  # published, but not running
    return End.at(place, book.listener_pid(place, "0.0.0.0", container_port)[1]), container_port


def _from_server(book: AddressBook, place: Place, e: Endpoint) -> tuple[tuple, Connection] | None:
    pid = e.pid if e.pid is not None else book.listener_pid(place, e.local_ip, e.local_port)[1]
    server = End.at(place, pid)
    client_place = _client_place(book, place, e.remote_ip)
    if client_place is None:
        if book.is_known(e.remote_ip):
            return None  # NATed, or from a namespace no probe describes: its client end tells, if anyone's
        key = ("outside", e.remote_ip, e.remote_port, place.host, e.local_ip, e.local_port)
        return key, Connection(End("", None, None, outside=e.remote_ip), server, e.local_port, "")
    client = book.client_socket(client_place.host, client_place.netns, e.remote_ip, e.remote_port)
    if client is None and client_place.container is None and not is_loopback(e.remote_ip):
        return None  # from a host address and no host socket: a container's connection, masqueraded
    key = (client_place.host, client_place.netns, e.remote_ip, e.remote_port, e.local_ip, e.local_port)
    client_pid = client.pid if client is not None else None
    dialled = f"{e.local_ip}:{e.local_port}"
    return key, Connection(End.at(client_place, client_pid), server, e.local_port, dialled)


def _client_place(book: AddressBook, place: Place, ip: str) -> Place | None:
    if is_loopback(ip):
        return place
    container = book.container_at(ip, place.host)
    if container is not None:
        return container
    host = book.host_at(ip, place.host)
    return book.place(host, book.host_netns[host]) if host is not None else None
