"""After a daemon restart: what running containers hold is kept (addresses, published ports, embedded DNS),
what dead ones held is undone, and the address pools keep only the addresses still held. A daemon killed in the
middle of a connect or a disconnect leaves a veth no record names, or a record naming a veth that is gone: the
one is deleted, the other endpoint dropped (the disconnect it was in happened), so records agree with the kernel."""

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from runtime.errors import EngineError
from runtime.network.links import delete_link, link_exists, plugged_into
from runtime.network.netns import remove_netns
from runtime.network.overlay_links import overlay_netns
from runtime.network.records import MODE_BRIDGE, MODE_NONE, ContainerRecord, EndpointRecord
from runtime.network.sandboxes import SandboxManager

log = logging.getLogger(__name__)


def restore_sandboxes(sandboxes: SandboxManager, running: Mapping[str, Path]) -> None:
    """running: container id -> netns path of the containers still alive."""
    for record in list(sandboxes.containers.values()):
        if not record.running:
            continue
        if record.container_id not in running:
            try:
                sandboxes.undo(record)
            except (EngineError, OSError):  # a full disk: the engine's cleanup of the container retries it
                log.exception("network: sandbox of %s: could not be recorded stopped", record.name)
        elif record.mode in (MODE_BRIDGE, MODE_NONE):
            try:
                _revive(sandboxes, record, Path(running[record.container_id]))
            except (EngineError, OSError):  # a full disk: this container keeps what memory says it has
                log.exception("network: sandbox of %s: could not be brought in line with the kernel", record.name)
    _delete_orphan_veths(sandboxes)
    _reconcile_pools(sandboxes)
    live = {r.netns_path for r in sandboxes.containers.values() if r.running and r.netns_path}
    live |= {str(overlay_netns(sandboxes.netns_dir, n.id)) for n in sandboxes.registry.all() if n.is_overlay}
    for path in sandboxes.netns_dir.glob("*") if sandboxes.netns_dir.is_dir() else ():
        if str(path) not in live:
            remove_netns(path)
    sandboxes.sync()


def _revive(sandboxes: SandboxManager, record: ContainerRecord, given: Path) -> None:
    if not (record.netns_path and Path(record.netns_path).exists()):
        record = sandboxes.save(replace(record, netns_path=str(given)))
    vanished = [
        e for e in record.endpoints if e.host_ifname and not link_exists(e.host_ifname, _bridge_netns(sandboxes, e))
    ]
    for endpoint in vanished:
        log.warning(
            "network: %s on %s: its veth is gone (a disconnect cut short): dropped", record.name, endpoint.network_id
        )
        record = record.without_endpoint(endpoint.network_id)
    if vanished:
        record = sandboxes.save(record)
    for mapping in record.ports:
        if not sandboxes.ports.adopt(record.container_id, mapping):
            log.warning(
                "network: published port %s:%d of %s: a host process holds it now",
                mapping.host_ip,
                mapping.host_port,
                record.name,
            )
    try:
        sandboxes.attach_dns(record)
    except EngineError:
        log.exception("network: embedded DNS of %s: could not be restored", record.name)


def _bridge_netns(sandboxes: SandboxManager, endpoint: EndpointRecord) -> Path | None:
    """Where the host end of the endpoint's veth is: its overlay's namespace, or the host's (None)."""
    network = sandboxes.registry.get(endpoint.network_id)
    return overlay_netns(sandboxes.netns_dir, network.id) if network is not None and network.is_overlay else None


def _delete_orphan_veths(sandboxes: SandboxManager) -> None:
    """Veths on our bridges that no running record names (a connect or a start cut short by a crash)."""
    named = {e.host_ifname for r in sandboxes.containers.values() if r.running for e in r.endpoints}
    bridges = {n.bridge_name for n in sandboxes.registry.bridges() if n.bridge_name}
    for name in plugged_into(bridges):
        if name not in named:
            log.warning("network: veth %s on a bridge of ours belongs to no container: deleted", name)
            delete_link(name)


def _reconcile_pools(sandboxes: SandboxManager) -> None:
    for network in sandboxes.registry.bridges():
        held = {
            ipaddress.IPv4Address(e.ip): r.container_id
            for r in sandboxes.containers.values()
            if r.running
            for e in r.endpoints
            if e.network_id == network.id and e.ip
        }
        try:
            sandboxes.registry.pool(network).keep_only(held)
        except OSError as e:  # a full disk: memory holds the truth, NetworkService.save_pools writes it later
            log.warning("network: address pool of %s: kept in memory, not yet on disk: %s", network.name, e)
