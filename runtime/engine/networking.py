"""The engine's side of the network room: what a container asks of the network, and its sandbox at start."""

from runtime.engine.config import DaemonConfig
from runtime.engine.launch import Layout
from runtime.engine.model import Container
from runtime.engine.store import ContainerStore
from runtime.network import NetworkService, Sandbox, SandboxSpec


def network_mode(container: Container, store: ContainerStore) -> str:
    """HostConfig.NetworkMode with `container:<name>` resolved to the full id the network room wants."""
    mode = container.host_config.get("NetworkMode") or "default"
    if mode.startswith("container:"):
        return "container:" + store.get(mode.partition(":")[2]).id
    return mode


def sandbox_spec(config: DaemonConfig, container: Container, store: ContainerStore) -> SandboxSpec:
    hc, cfg = container.host_config, container.config
    return SandboxSpec(
        container_id=container.id,
        name=container.name,
        hostname=cfg.get("Hostname") or container.short_id,
        container_dir=Layout(config, container.id).directory,
        network_mode=network_mode(container, store),
        endpoints_config=(container.networking_config or {}).get("EndpointsConfig") or {},
        port_bindings=hc.get("PortBindings") or {},
        publish_all=bool(hc.get("PublishAllPorts")),
        exposed_ports=list(cfg.get("ExposedPorts") or {}),
        domainname=cfg.get("Domainname") or "",
        dns=hc.get("Dns") or (),
        dns_search=hc.get("DnsSearch") or (),
        dns_options=hc.get("DnsOptions") or (),
        extra_hosts=hc.get("ExtraHosts") or (),
    )


class ContainerNetworks:
    """Registers a container with the network room at create, gives it a sandbox at start, takes it back."""

    def __init__(self, config: DaemonConfig, store: ContainerStore, networks: NetworkService) -> None:
        self._config = config
        self._store = store
        self._networks = networks

    def register(self, container: Container) -> None:
        self._networks.register_container(sandbox_spec(self._config, container, self._store))

    def create(self, container: Container) -> Sandbox:
        return self._networks.create_sandbox(sandbox_spec(self._config, container, self._store))

    def destroy(self, container: Container) -> None:
        self._networks.destroy_sandbox(container.id)

    def forget(self, container: Container) -> None:
        self._networks.forget_container(container.id)
