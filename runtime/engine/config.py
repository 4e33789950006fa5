"""The daemon's options, as `porthole daemon` takes them."""

from dataclasses import dataclass, field
from pathlib import Path

from runtime.security.userns import IdMapping


@dataclass(frozen=True)
class DaemonConfig:
    data_root: Path = Path("/var/lib/porthole")
    exec_root: Path = Path("/run/porthole")
    hosts: tuple[str, ...] = ("unix:///run/porthole/porthole.sock",)
    cgroup_parent: str = "porthole"
    cgroup_root: Path = Path("/sys/fs/cgroup")
    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)
    bridge: str = "porthole0"
    bip: str = "10.200.0.1/16"
    iptables_prefix: str = "PORTHOLE"
    address_pool: str = "10.201.0.0/16"  # where networks created without --subnet take theirs
    address_pool_size: int = 24  # the prefix length of those networks
    dns_upstreams: tuple[str, ...] | None = None  # None: the host's resolvers; (): none (runtime.network.config)
    metrics_addr: str | None = None
    insecure_registries: tuple[str, ...] = ()  # host:port reached over plain HTTP (loopback always is)
    registry_mirrors: tuple[str, ...] = ()  # --registry-mirror URLs for docker.io, in order, as Docker shows them
    registry_certs_dir: Path = Path("/etc/docker/certs.d")  # <host:port>/ca.crt, as Docker reads them
    max_concurrent_downloads: int = 3
    max_concurrent_uploads: int = 5
    init_path: Path = Path("/usr/bin/tini-static")  # --init's docker-init: Debian's tini, static
    warnings: tuple[str, ...] = ()  # shown by `docker info` (an API on TCP without TLS, ...)
    web_addr: str | None = None  # HOST:PORT of the dashboard served with --web (published to the cluster)
    mtu: int = 1500  # of the default bridge and of new networks (overlays: minus VXLAN's 50 bytes)
    cluster_store: str | None = None  # etcd://HOST:PORT[,...]: global networks across hosts
    cluster_advertise: str | None = None  # IFACE_OR_IP:PORT this host is reached at by the others
    cluster_store_opts: tuple[str, ...] = ()  # KEY=VALUE: kv.cacertfile, kv.certfile, kv.keyfile, discovery.ttl
    userns_remap: IdMapping | None = None  # --userns-remap: containers' ids in the subordinate ranges

    @property
    def containers_dir(self) -> Path:
        return self.data_root / "containers"

    def exec_dir(self, container_id: str) -> Path:
        return self.exec_root / "containers" / container_id
