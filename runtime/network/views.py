"""What the network room answers about its records: a network with its members, a container's networking, and
the names an endpoint answers to. Typed records; runtime.api.shapes.networks renders Docker's JSON from them."""

from collections.abc import Mapping
from dataclasses import dataclass

from runtime.network.records import ContainerRecord, EndpointRecord, NetworkRecord


@dataclass(frozen=True, slots=True)
class NetworkMember:
    """A running container on a network, as `network inspect` lists it."""

    record: ContainerRecord
    endpoint: EndpointRecord | None  # None: in the host's or no network (mode host or none), no address of its own


@dataclass(frozen=True, slots=True)
class NetworkView:
    """A network and the running containers on it (none when listed: `network ls` shows no members)."""

    network: NetworkRecord
    members: tuple[NetworkMember, ...] = ()


@dataclass(frozen=True, slots=True)
class ContainerNetworking:
    """What a container's NetworkSettings and `ps` Ports are drawn from."""

    record: ContainerRecord | None  # the container's own record; None if it was never registered
    # Whose endpoints it shows: its own record, or while it runs in another's namespace (`--network
    # container:`) that one's, as Docker shows the same settings for both.
    shown: ContainerRecord | None
    networks: Mapping[str, NetworkRecord]  # by id


def dns_names(record: ContainerRecord, network: NetworkRecord, endpoint: EndpointRecord) -> list[str] | None:
    """Names this endpoint answers to in the embedded DNS (Docker's EndpointSettings.DNSNames)."""
    if not network.has_dns:
        return None
    names = [record.name, *endpoint.aliases, record.container_id[:12]]
    if record.hostname and record.hostname not in names:
        names.append(record.hostname)
    return list(dict.fromkeys(names))
