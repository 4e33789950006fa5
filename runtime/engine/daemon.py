"""The engine as one object: every service built from the daemon's config, wired, restored and closed."""

import logging
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from logdrivers.registry import Registry, builtin_registry
from runtime.cgroups import detect_mode
from runtime.engine.config import DaemonConfig
from runtime.engine.containers import Containers
from runtime.engine.create import ContainerFactory
from runtime.engine.events import EventBus
from runtime.engine.execs import Execs
from runtime.engine.exits import ExitMonitor
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.logshipping import ShippingManager
from runtime.engine.model import RUNNING, Container
from runtime.engine.networking import ContainerNetworks
from runtime.engine.shims import ShimLauncher
from runtime.engine.signals import is_alive
from runtime.engine.store import ContainerStore
from runtime.engine.volume_mounts import ContainerVolumes
from runtime.images.removal import ImageUser
from runtime.images.store import ImageStore
from runtime.network import NetworkConfig, NetworkService
from runtime.volumes import VolumeService

if TYPE_CHECKING:
    from runtime.network.cluster import ClusterStore

log = logging.getLogger("porthole.engine")


class Engine:
    def __init__(self, config: DaemonConfig) -> None:
        self.config = config
        for directory in (config.data_root, config.exec_root, config.containers_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.daemon_id = self._daemon_id(config.data_root / "engine-id")
        self.cgroup_mode = detect_mode(config.cgroup_root)
        self.events = EventBus()
        self.log_registry: Registry = builtin_registry()
        for error in self.log_registry.load_plugins():
            log.warning("%s", error)
        self.images = ImageStore(config.data_root)
        self.volumes = VolumeService(
            config.data_root, events=lambda action, name: self.events.publish("volume", action, name, driver="local")
        )
        self.networks = NetworkService(
            config.data_root,
            config.exec_root,
            NetworkConfig(
                bridge_name=config.bridge,
                bip=config.bip,
                chain_prefix=config.iptables_prefix,
                dns_upstreams=config.dns_upstreams,
                mtu=config.mtu,
                address_pool=config.address_pool,
                pool_prefixlen=config.address_pool_size,
            ),
            cluster=self._cluster(config) if config.cluster_store else None,
        )
        store = ContainerStore(config.containers_dir)
        container_networks = ContainerNetworks(config, store, self.networks)
        factory = ContainerFactory(config, store, self.images, self.volumes, self.log_registry, container_networks)
        self.containers = Containers(
            config, store, factory, self.volumes, self.log_registry, self.events, container_networks
        )
        self.shipping = ShippingManager(self.log_registry, config, store, self.events)
        self.shims = ShimLauncher()
        self.volume_mounts = ContainerVolumes(self.volumes, store)
        self.monitor = ExitMonitor()
        self.lifecycle = Lifecycle(
            config,
            store,
            self.shims,
            self.monitor,
            self.events,
            container_networks,
            self.log_registry,
            remove_files=self.shipping.keeping_logs(self.containers.remove_files),
            volume_mounts=self.volume_mounts,
        )
        self.containers.lifecycle = self.lifecycle
        self.execs = Execs(config, self.shims, self.events)

    def _cluster(self, config: DaemonConfig) -> "ClusterStore":
        """The cluster store this host joins at restore(); imported only when asked for."""
        from runtime.network.cluster import ClusterStore, local_host, parse_cluster_config

        cluster = parse_cluster_config(config.cluster_store, config.cluster_advertise, config.cluster_store_opts)
        host = local_host(cluster, self.daemon_id, config.metrics_addr, config.web_addr)
        return ClusterStore(cluster, host, config.data_root / "network")

    @staticmethod
    def _daemon_id(path: Path) -> str:
        if not path.exists():
            path.write_text(secrets.token_hex(16))
        return path.read_text().strip()

    def image_user(self, image_id: str) -> ImageUser | None:
        users = [c for c in self.containers.store if c.image_id == image_id]
        running = [c for c in users if c.state.status == RUNNING]
        chosen = (running or users or [None])[0]
        return None if chosen is None else ImageUser(chosen.id, chosen.state.status == RUNNING)

    def network_settings(self, container: Container) -> dict:
        return self.networks.network_settings(container.id)

    def ports_summary(self, container: Container) -> list[dict]:
        return self.networks.ports_summary(container.id)

    def restore(self) -> None:
        """Re-attach to the containers that lived on while the daemon was away (DESIGN.md, process model)."""
        live = [c for c in self.containers.store if c.state.live and is_alive(c.state.pid, c.state.pid_starttime)]
        self.networks.start()
        self.networks.restore({c.id: self.config.exec_root / "netns" / c.id for c in live})
        for container in live:  # before any exit is recorded: a dead one must not unmount what a live one uses
            self.volume_mounts.adopt(container)
        for container in self.containers.store:
            try:
                self.lifecycle.restore(container)
            except Exception:  # noqa: BLE001 - one broken container must not keep the daemon down
                log.exception("restoring container %s", container.id)
        self.volumes.release_unused()
        self.shipping.start()

    def close(self) -> None:
        """Stop serving; the containers and their shims live on."""
        self.shipping.close()
        self.lifecycle.close()
        self.monitor.close()
        self.shims.close()
        self.networks.close()
