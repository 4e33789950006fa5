"""The engine's side of the network room: what a container asks of the network, and its sandbox at start."""

import socket
from dataclasses import replace

from runtime.engine.config import DaemonConfig
from runtime.engine.launch import Layout
from runtime.engine.links import link_environment, link_hosts, running_children
from runtime.engine.model import Container
from runtime.engine.store import ContainerStore
from runtime.errors import InvalidParameter, NotFound
from runtime.network import NetworkService, Sandbox, SandboxSpec
from runtime.network.container_specs import CONTAINER_MODE_PORTS

HOSTNAME_CONFLICT = "conflicting options: hostname and the network mode"
# HostConfig fields a container in another's network namespace may not set (it has no hosts or resolv.conf,
# address or ports of its own), with Docker's refusals at create, in the order of moby's runconfig
# validateNetContainerMode. --dns-search and --dns-option pass there, as in Docker; --mac-address is refused
# by the engine's create, and --expose (moby checks the client's ExposedPorts, before the image's are merged
# in) is not refused here.
CONTAINER_MODE_CONFLICTS = (
    (
        "Links",
        "conflicting options: container type network can't be used with links. This would result in undefined behavior",
    ),
    ("Dns", "conflicting options: dns and the network mode"),
    ("ExtraHosts", "conflicting options: custom host-to-IP mapping and the network mode"),
    ("PortBindings", CONTAINER_MODE_PORTS),
    ("PublishAllPorts", CONTAINER_MODE_PORTS),
)


def network_mode(container: Container, store: ContainerStore) -> str:
    """HostConfig.NetworkMode with `container:<name>` resolved to the full id the network room wants."""
    mode = container.host_config.get("NetworkMode") or "default"
    if mode.startswith("container:"):
        return "container:" + store.get(mode.partition(":")[2]).id
    return mode


def check_mode_conflicts(container: Container) -> None:
    """At create, whether or not the other container exists yet, Docker's rules of two network modes: a
    container in another's namespace may not set its own hostname (it takes the other's at start), nor any of
    CONTAINER_MODE_CONFLICTS; one on the host's network has the host's name unless it was given one. The
    engine fills an unset Hostname with the short id before this runs."""
    config = container.config
    given = config.get("Hostname") not in (None, "", container.short_id)
    mode = container.host_config.get("NetworkMode") or ""
    if mode.startswith("container:"):
        if given:
            raise InvalidParameter(HOSTNAME_CONFLICT)
        for field, conflict in CONTAINER_MODE_CONFLICTS:
            if container.host_config.get(field):
                raise InvalidParameter(conflict)
    if mode == "host" and not given:
        config["Hostname"] = socket.gethostname()


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
        """At create: check and record what can be checked now. Docker looks up the networks, and the
        container of a `container:` mode, at start (a 404 from create would make the docker CLI try to pull
        the image), so one that does not exist yet is left for create() to report."""
        check_mode_conflicts(container)
        try:
            spec = sandbox_spec(self._config, container, self._store)
            self._networks.register_container(spec)
        except NotFound:
            return

    def plan(self, container: Container) -> Sandbox:
        """At start, before create: where the sandbox will be. A container in another's namespace takes that
        one's hostname, as in Docker."""
        spec = sandbox_spec(self._config, container, self._store)
        if spec.network_mode.startswith("container:"):
            self._adopt_hostname(container, self._store.get(spec.network_mode.partition(":")[2]))
        return self._networks.planned_sandbox(spec)

    def create(self, container: Container) -> None:
        """Make the sandbox that plan() described, with hosts entries for the container's legacy links."""
        spec = sandbox_spec(self._config, container, self._store)
        children = running_children(container, self._store)
        if children:
            spec = replace(spec, extra_hosts=(*spec.extra_hosts, *link_hosts(children, self._bridge_address)))
        self._networks.create_sandbox(spec)

    def link_environment(self, container: Container) -> list[str]:
        """Docker's variables for the container's legacy links; 400 if a linked container does not run."""
        return link_environment(container.name, running_children(container, self._store), self._bridge_address)

    def _bridge_address(self, container: Container) -> str:
        """The container's address on the default bridge ("" if it has none), which legacy links point at."""
        view = self._networks.networking(container.id)
        for endpoint in view.shown.endpoints if view.shown is not None else ():
            network = view.networks.get(endpoint.network_id)
            if network is not None and network.is_default_bridge:
                return endpoint.ip or ""
        return ""

    def _adopt_hostname(self, container: Container, target: Container) -> None:
        names = {key: target.config.get(key) or "" for key in ("Hostname", "Domainname")}
        if any(container.config.get(key) != value for key, value in names.items()):
            container.config.update(names)
            self._store.save_config(container)

    def destroy(self, container: Container) -> None:
        self._networks.destroy_sandbox(container.id)

    def rename(self, container: Container) -> None:
        """The container's record under its new name (its DNS name on user-defined networks)."""
        self._networks.rename_container(container.id, container.name)

    def forget(self, container: Container) -> None:
        self._networks.forget_container(container.id)
