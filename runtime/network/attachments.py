"""`docker network connect` and `disconnect`: edit a container's attachments, and its live sandbox if it runs
(a new veth appears in the running container; files, routes, rules and DNS follow)."""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runtime.errors import Conflict, EngineError, Forbidden
from runtime.network.container_specs import PRIVATE_MODE, SHARED_NAMESPACE
from runtime.network.endpoints import endpoint_from_config
from runtime.network.records import HOST, MODE_BRIDGE, MODE_CONTAINER, MODE_HOST, MODE_NONE, NONE, NetworkRecord
from runtime.network.sandboxes import SandboxManager

log = logging.getLogger(__name__)

HOST_NETWORK = "container cannot be disconnected from host network or connected to host network"


def _is_predefined(network: NetworkRecord, name: str) -> bool:
    return network.predefined and network.name == name


class Attachments:
    def __init__(self, sandboxes: SandboxManager) -> None:
        self.sandboxes = sandboxes
        self.registry = sandboxes.registry

    def connect(self, network_ref: str, container_id: str, endpoint_config: Mapping[str, Any] | None) -> None:
        network = self.registry.resolve(network_ref)
        record = self.sandboxes.known(container_id)
        if _is_predefined(network, HOST) or record.mode == MODE_HOST:
            raise Forbidden(HOST_NETWORK)
        if _is_predefined(network, NONE) or record.mode == MODE_NONE:
            raise Forbidden(PRIVATE_MODE)
        if record.mode == MODE_CONTAINER:
            raise Forbidden(SHARED_NAMESPACE)
        if record.endpoint(network.id) is not None:
            raise Forbidden(f"endpoint with name {record.name} already exists in network {network.name}")
        endpoint = endpoint_from_config(network, endpoint_config)
        if not record.running:
            self.sandboxes.save(record.with_endpoint(endpoint))
            return
        record = self.sandboxes.save(self.sandboxes.join(record, network, endpoint, Path(record.netns_path)))
        try:
            self.sandboxes.route(record)
            self.sandboxes.attach_dns(record)
            self.sandboxes.sync()
            self.sandboxes.write_files(record)
        except BaseException:
            self._undo_connect(container_id, network.id)
            raise

    def _undo_connect(self, container_id: str, network_id: str) -> None:
        record = self.sandboxes.containers[container_id]
        try:
            self.sandboxes.leave(record.endpoint(network_id), netns=record.netns_path)
            record = self.sandboxes.save(record.without_endpoint(network_id))
            self.sandboxes.route(record)
        except (EngineError, OSError):
            log.exception("network: undoing the connect of %s to %s failed", record.name, network_id)
        self.sandboxes.sync_after_failure()

    def disconnect(self, network_ref: str, container_id: str, force: bool) -> None:
        """force is accepted for the API's sake: a disconnect here never waits on anything it could skip."""
        network = self.registry.resolve(network_ref)
        record = self.sandboxes.known(container_id)
        if _is_predefined(network, HOST) or record.mode == MODE_HOST:
            raise Forbidden(HOST_NETWORK)
        endpoint = record.endpoint(network.id)
        if endpoint is None or record.mode != MODE_BRIDGE:
            raise Conflict(f"container {container_id} is not connected to network {network.name}")
        if not record.running:
            self.sandboxes.save(record.without_endpoint(network.id))
            return
        self.sandboxes.leave(endpoint, netns=record.netns_path)
        record = self.sandboxes.save(record.without_endpoint(network.id))
        self.sandboxes.route(record)
        self.sandboxes.sync()
        self.sandboxes.write_files(record)
