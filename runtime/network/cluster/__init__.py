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


def local_host(
    config: ClusterConfig, host_id: str, metrics_addr: str | None, web_addr: str | None = None
) -> ClusterHost:
    """This host as the others see it: its daemon id, hostname, advertised address, and the addresses of its
    metrics and dashboard (an unspecified one is published as the advertised address, where others reach it)."""
    address = advertised_address(config, interface_address)

    def reachable(listen: str | None) -> str | None:
        if not listen:
            return None
        bind, _, port = listen.rpartition(":")
        return f"{address if bind in ('', '0.0.0.0') else bind}:{port}"

    return ClusterHost(
        host_id,
        socket.gethostname(),
        address,
        f"{config.advertise}:{config.advertise_port}",
        reachable(metrics_addr),
        reachable(web_addr),
    )


__all__ = ["ClusterConfig", "ClusterHost", "ClusterStore", "local_host", "parse_cluster_config"]
