"""The network room across hosts: etcd as the cluster store (`--cluster-store etcd://...`), holding the global
networks, their address allocations and endpoints, and the hosts under their leases; every host watches it.

ClusterConfig (config.py) is what the daemon's flags say; ClusterStore (store.py) is the one object the rest of
the room talks to.
"""

import socket

from runtime.network.cluster.config import ClusterConfig, advertised_address, parse_cluster_config
from runtime.network.cluster.keys import ClusterHost
from runtime.network.cluster.store import ClusterStore
from runtime.network.overlay_links import interface_address


def local_host(config: ClusterConfig, host_id: str, metrics_addr: str | None) -> ClusterHost:
    """This host as the others see it: its daemon id, hostname, advertised address and metrics endpoint (an
    unspecified metrics address is published as the advertised one, where the others can reach it)."""
    address = advertised_address(config, interface_address)
    metrics = None
    if metrics_addr:
        bind, _, port = metrics_addr.rpartition(":")
        metrics = f"{address if bind in ('', '0.0.0.0') else bind}:{port}"
    return ClusterHost(host_id, socket.gethostname(), address, f"{config.advertise}:{config.advertise_port}", metrics)


__all__ = ["ClusterConfig", "ClusterHost", "ClusterStore", "local_host", "parse_cluster_config"]
