"""The networks every daemon has: the default bridge (from --bridge, --bip and --mtu), host and none."""

import os

from common import rfc3339
from runtime.errors import HostError
from runtime.network.config import NetworkConfig
from runtime.network.create_options import OPT_BRIDGE_NAME, OPT_ICC, OPT_MASQUERADE, OPT_MTU
from runtime.network.links import delete_link
from runtime.network.records import DEFAULT_BRIDGE, HOST, NONE, NetworkRecord
from runtime.network.registry import NetworkRegistry


def new_network_id() -> str:
    return os.urandom(32).hex()


def ensure_predefined(registry: NetworkRegistry, config: NetworkConfig) -> None:
    """Record bridge, host and none as the flags say now (the default bridge keeps its id across runs)."""
    address = config.bridge_address
    old = registry.by_name(DEFAULT_BRIDGE)
    for other in registry.all():
        if not other.predefined and other.subnet and other.network.overlaps(address.network):
            raise HostError(f"network: bip {config.bip}: overlaps network {other.name} ({other.subnet})")
    if old is not None and old.bridge_name != config.bridge_name and old.bridge_created:
        delete_link(old.bridge_name)  # --bridge changed since the last run: the old one is ours to drop
    options = {
        "com.docker.network.bridge.default_bridge": "true",
        OPT_ICC: "true",
        OPT_MASQUERADE: "true",
        "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
        OPT_BRIDGE_NAME: config.bridge_name,
        OPT_MTU: str(config.mtu),
    }
    same_bridge = old is not None and old.bridge_name == config.bridge_name
    registry.put(
        NetworkRecord(
            id=old.id if old else new_network_id(),
            name=DEFAULT_BRIDGE,
            driver="bridge",
            created=old.created if old else rfc3339.now(),
            subnet=str(address.network),
            gateway=str(address.ip),
            bridge_name=config.bridge_name,
            bridge_created=same_bridge and old.bridge_created,
            mtu=config.mtu,
            predefined=True,
            options=options,
        )
    )
    for name, driver in ((HOST, "host"), (NONE, "null")):
        if registry.by_name(name) is None:
            registry.put(NetworkRecord(new_network_id(), name, driver, rfc3339.now(), predefined=True))
