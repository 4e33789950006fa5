"""Who owns an address, across the reports of every host: containers by their IPs, hosts by theirs and
by their published ports, and each network namespace's listeners and client sockets.

The index is exact where Scope guessed: a container's IP comes from the engine, a published port from the
engine's port map, a listening socket from the kernel. An IP two hosts give to containers (private
subnets repeat from host to host) names the container of the host that dialled it, and nothing if that
host has none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from web.topology.report import ContainerFacts, Endpoint, Listener, PublishedPort, Report

_WILDCARDS = frozenset({"0.0.0.0", "::"})


@dataclass(frozen=True, slots=True)
class Place:
    """A network namespace of a host: the host's own (container None) or a container's."""

    host: str
    netns: int
    container: str | None


def is_loopback(ip: str) -> bool:
    return ip.startswith("127.") or ip == "::1"


class AddressBook:
    def __init__(self, reports: Iterable[Report]) -> None:
        self.host_netns: dict[str, int] = {}
        self._places: dict[tuple[str, int], Place] = {}
        self._container_ips: dict[str, list[Place]] = {}
        self._host_ips: dict[str, list[str]] = {}
        self._published: dict[tuple[str, int], list[tuple[PublishedPort, ContainerFacts]]] = {}
        self._listeners: dict[tuple[str, int, int], list[Listener]] = {}
        self._clients: dict[tuple[str, int, str, int], Endpoint] = {}
        networks: set[str] = set()
        for report in reports:
            self._add(report, networks)
        # each container gives its address with its prefix: one network object per network, not per address
        self._networks = list({ipaddress.ip_network(n, strict=False) for n in networks})

    def _add(self, report: Report, networks: set[str]) -> None:
        host = report.host.id
        self.host_netns[host] = report.host.netns
        self._places[(host, report.host.netns)] = Place(host, report.host.netns, None)
        for ip in report.host.addresses:
            self._host_ips.setdefault(ip, []).append(host)
        networks.update(report.host.networks)
        for c in report.containers:
            if c.netns is None:
                continue
            place = self._places.setdefault((host, c.netns), Place(host, c.netns, c.id))
            for address in c.networks:
                self._container_ips.setdefault(address.ip, []).append(place)
                networks.add(f"{address.ip}/{address.prefix_len}")
            for port in c.ports:
                if port.proto == "tcp":
                    self._published.setdefault((host, port.host_port), []).append((port, c))
        for listener in report.listeners:
            self._listeners.setdefault((host, listener.netns, listener.port), []).append(listener)
        for e in report.endpoints:
            if not e.server:
                self._clients[(host, e.netns, e.local_ip, e.local_port)] = e

    def place(self, host: str, netns: int) -> Place | None:
        """The host's netns or a container's; None for a namespace the report did not describe."""
        return self._places.get((host, netns))

    def listener_pid(self, place: Place, ip: str, port: int) -> tuple[bool, int | None]:
        """(whether something listens there, the pid holding the listening socket)."""
        for listener in self._listeners.get((place.host, place.netns, port), ()):
            if listener.ip == ip or listener.ip in _WILDCARDS or is_loopback(ip) and is_loopback(listener.ip):
                return True, listener.pid
        return False, None

    def container_at(self, ip: str, near_host: str) -> Place | None:
        """The container with this IP: on near_host if it has one, else the only one of any host."""
        places = self._container_ips.get(ip, ())
        here = [p for p in places if p.host == near_host]
        if len(here) == 1:
            return here[0]
        return places[0] if not here and len(places) == 1 else None

    def host_at(self, ip: str, near_host: str) -> str | None:
        hosts = self._host_ips.get(ip, ())
        if near_host in hosts:
            return near_host
        return hosts[0] if len(hosts) == 1 else None

    def published(self, host: str, ip: str, port: int) -> tuple[ContainerFacts, int] | None:
        """The container behind host:port, and its port, when the host publishes that port on ip."""
        for published, container in self._published.get((host, port), ()):
            bound = published.host_ip
            if bound in _WILDCARDS or bound == ip or is_loopback(ip) and is_loopback(bound):
                return container, published.container_port
        return None

    def client_socket(self, host: str, netns: int, ip: str, port: int) -> Endpoint | None:
        """The client end bound to ip:port in that namespace, if its probe saw it."""
        return self._clients.get((host, netns, ip, port))

    def is_known(self, ip: str) -> bool:
        """Whether the address lies on a network of some host or container (else it is outside)."""
        if is_loopback(ip):
            return True
        address = ipaddress.ip_address(ip)
        return any(address in network for network in self._networks)
