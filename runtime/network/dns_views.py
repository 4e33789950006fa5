"""Who answers to which name on which network, from the records of this host's running containers: what
dns_answers.build_views() turns into each container's view (the overlays add the other hosts' endpoints)."""

from collections.abc import Iterable, Mapping

from runtime.network.records import ContainerRecord, NetworkRecord
from runtime.network.views import dns_names


def local_dns_entries(
    containers: Iterable[ContainerRecord], networks: Mapping[str, NetworkRecord]
) -> tuple[dict[str, tuple[str, ...]], dict[str, list[tuple[str, tuple[str, ...]]]]]:
    """build_views()'s two arguments from this host's running containers (the hidden way out of an overlay
    container answers to no name)."""
    memberships: dict[str, tuple[str, ...]] = {}
    entries: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for record in containers:
        if not record.running:
            continue
        on = []
        for endpoint in record.endpoints:
            network = networks.get(endpoint.network_id)
            if network is not None and network.has_dns and endpoint.ip and not endpoint.gateway_only:
                on.append(network.id)
                entries.setdefault(network.id, []).append((endpoint.ip, tuple(dns_names(record, network, endpoint))))
        if on:
            memberships[record.container_id] = tuple(on)
    return memberships, entries


def qualified(
    entries: Mapping[str, list[tuple[str, tuple[str, ...]]]], networks: Mapping[str, NetworkRecord]
) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Each network's names also as `<name>.<network>`, as Docker's resolver answers them; the first (the
    container's name so qualified) is what build_views() gives as the address's PTR name, as Docker does."""
    result = {}
    for network_id, pairs in entries.items():
        suffix = "." + networks[network_id].name
        result[network_id] = [
            (address, (names[0] + suffix, *names, *(name + suffix for name in names[1:])))
            for address, names in pairs
            if names  # a remote endpoint published without names
        ]
    return result


def link_aliases(containers: Iterable[ContainerRecord]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """container id -> (address, (alias,)) of its endpoints' Links (`--link name:alias` on a user-defined
    network): the linked container's address on that network, under the alias, for the linking one only."""
    running = {r.name: r for r in containers if r.running}
    aliases: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for record in running.values():
        for endpoint in record.endpoints:
            for link in endpoint.links:
                name, _, alias = link.partition(":")
                target = running.get(name.lstrip("/"))
                target_endpoint = target.endpoint(endpoint.network_id) if target is not None else None
                if target_endpoint is not None and target_endpoint.ip:
                    pair = (target_endpoint.ip, (alias.rpartition("/")[2] or name.lstrip("/"),))
                    aliases.setdefault(record.container_id, []).append(pair)
    return aliases
