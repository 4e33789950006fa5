"""The engine as one object: every service built from the daemon's config, wired, restored and closed."""

import logging
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from logdrivers.registry import Registry, builtin_registry
from runtime.cgroups import detect_mode
from runtime.engine.buildsteps import EngineStepRunner
from runtime.engine.commit import Committer
from runtime.engine.config import DaemonConfig
from runtime.engine.containerfs import ContainerFilesystems
from runtime.engine.containers import Containers
from runtime.engine.create import ContainerFactory
from runtime.engine.deferred import DeferredWork
from runtime.engine.diskusage import DiskUsageReport
from runtime.engine.events import EventBus
from runtime.engine.execs import Execs
from runtime.engine.exits import ExitMonitor
from runtime.engine.exitsamples import ExitSamples
from runtime.engine.housekeeping import Housekeeping
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.logshipping import ShippingManager
from runtime.engine.model import RUNNING, Container
from runtime.engine.networking import ContainerNetworks
from runtime.engine.shims import ShimLauncher
from runtime.engine.signals import is_alive
from runtime.engine.stats import StatsReader
from runtime.engine.store import ContainerStore
from runtime.engine.update import Adjustments
from runtime.engine.volume_mounts import ContainerVolumes
from runtime.errors import NotFound
from runtime.images.archives import ImageArchives
from runtime.images.builder.build import Builder
from runtime.images.image import Image
from runtime.images.metrics import ImageMetrics
from runtime.images.registry.mirrors import parse_mirror
from runtime.images.registry.service import Distribution
from runtime.images.registry.transport import Credentials
from runtime.images.removal import ImageUser
from runtime.images.store import ImageStore
from runtime.network import ContainerNetworking, NetworkConfig, NetworkService
from runtime.security import SecurityPolicy, own_capabilities
from runtime.volumes import VolumeService
from runtime.volumes.layout import disk_usage

if TYPE_CHECKING:
    from runtime.network.cluster import ClusterStore

log = logging.getLogger("porthole.engine")


class Engine:
    def __init__(self, config: DaemonConfig) -> None:
        self.config = config
        # Private to root, as Docker's and containerd's (containers' env, specs and logs are in there); the data
        # root stays traversable, as Docker's 0711, for the volumes' own modes to decide.
        for directory, mode in ((config.data_root, 0o711), (config.exec_root, 0o700), (config.containers_dir, 0o700)):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(mode)
        self.daemon_id = self._daemon_id(config.data_root / "engine-id")
        self.cgroup_mode = detect_mode(config.cgroup_root)
        self.events = EventBus()
        self.log_registry: Registry = builtin_registry()
        for error in self.log_registry.load_plugins():
            log.warning("%s", error)
        self.images = ImageStore(config.data_root)
        self.archives = ImageArchives(self.images)
        self.volumes = VolumeService(
            config.data_root,
            events=lambda action, name: self.events.publish("volume", action, name, driver="local"),
            data_owner=config.userns_remap.root if config.userns_remap else None,
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
            events=lambda action, network_id, attributes: self.events.publish(
                "network", action, network_id, **attributes
            ),
            cluster=self._cluster(config) if config.cluster_store else None,
        )
        self.security = SecurityPolicy(own_capabilities())
        store = ContainerStore(config.containers_dir)
        container_networks = ContainerNetworks(config, store, self.networks)
        self.deferred = DeferredWork()
        factory = ContainerFactory(
            config,
            store,
            self.images,
            self.volumes,
            self.log_registry,
            container_networks,
            self.security,
            self.deferred,
        )
        self.containers = Containers(
            config, store, factory, self.volumes, self.log_registry, self.events, container_networks
        )
        self.shipping = ShippingManager(self.log_registry, config, store, self.events)
        self.shims = ShimLauncher()
        self.volume_mounts = ContainerVolumes(self.volumes, store)
        self.monitor = ExitMonitor()
        exit_samples = ExitSamples(self.cgroup_mode)
        self.lifecycle = Lifecycle(
            config,
            store,
            self.shims,
            self.monitor,
            self.events,
            container_networks,
            self.log_registry,
            self.security,
            remove_files=self.shipping.keeping_logs(self.containers.remove_files),
            exit_samples=exit_samples,
            deferred=self.deferred,
            volume_mounts=self.volume_mounts,
        )
        self.containers.lifecycle = self.lifecycle
        self.execs = Execs(config, self.shims, self.events, self.security)
        self.stats = StatsReader(config)
        self.filesystems = ContainerFilesystems(config, self.lifecycle)
        self.committer = Committer(config, self.images, self.lifecycle)
        self.image_metrics = ImageMetrics()
        self.distribution = Distribution(
            self.images,
            config.data_root,
            config.registry_certs_dir,
            self.image_metrics,
            config.insecure_registries,
            config.max_concurrent_downloads,
            config.max_concurrent_uploads,
            tuple(parse_mirror(url) for url in config.registry_mirrors),
        )
        self.builder = Builder(
            self.images,
            EngineStepRunner(config, self.containers, self.lifecycle, exit_samples),
            config.data_root,
            self.image_metrics,
            fetch_base=self._pull_base,
        )
        self.adjustments = Adjustments(config, store, self.lifecycle)
        self.housekeeping = Housekeeping(
            self.containers,
            self.lifecycle,
            self.images,
            self.volumes,
            self.events,
            image_users=lambda image_id: [c for c in store if c.image_id == image_id],
            writable_size=self.filesystems.writable_size,
        )
        self.disk_usage = DiskUsageReport(self.images, self.containers, self.filesystems, self.volumes, self.builder)

    def _pull_base(self, name: str, emit) -> Image:
        """A build's FROM of an image not stored here (or --pull): pulled anonymously, its progress dropped."""
        return self.distribution.pull(name, "", Credentials(), lambda record: None)

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

    def networking(self, container: Container) -> ContainerNetworking:
        return self.networks.networking(container.id)

    def container_sizes(self, container: Container) -> tuple[int, int]:
        """(SizeRw, SizeRootFs) of `ps -s` and `inspect -s`."""
        try:
            image_size = self.images.resolve(container.image_id).size
        except NotFound:  # removed since: the layers the container still holds
            image_size = sum(disk_usage(Path(layer)) for layer in container.layers)
        return self.filesystems.sizes(container, image_size)

    def restore(self) -> None:
        """Re-attach to the containers that lived on while the daemon was away (DESIGN.md, process model)."""
        live = [c for c in self.containers.store if c.state.live and is_alive(c.state.pid, c.state.pid_starttime)]
        self.networks.start()
        self.networks.restore({c.id: self.config.exec_root / "netns" / c.id for c in live})
        # the pools' reconciliation above may have found the disk full: written once it takes them
        self.deferred.attempt(("ipam", "pools"), self.networks.save_pools, "saving the address pools")
        self.deferred.attempt(
            ("layers", "holds"),
            lambda: self.images.keep_holds({c.id: c.layers for c in self.containers.store}),
            "recording the image layers the containers hold",
        )
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
        self.deferred.close()
        self.monitor.close()
        self.shims.close()
        self.networks.close()
