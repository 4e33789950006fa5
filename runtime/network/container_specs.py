"""A SandboxSpec checked against the known networks and turned into a ContainerRecord (Docker's texts)."""

from dataclasses import replace

from runtime.errors import InvalidParameter
from runtime.network.config import SandboxSpec
from runtime.network.endpoints import endpoint_from_config
from runtime.network.hostfiles import parse_extra_hosts
from runtime.network.port_specs import parse_port_requests
from runtime.network.records import (
    DEFAULT_BRIDGE,
    HOST,
    MODE_BRIDGE,
    MODE_CONTAINER,
    MODE_HOST,
    MODE_NONE,
    NONE,
    ContainerRecord,
    EndpointRecord,
)
from runtime.network.registry import NetworkRegistry

SHARED_NAMESPACE = (
    "container sharing network namespace with another container or host cannot be connected to any other network"
)
PRIVATE_MODE = "container cannot be connected to multiple networks with one of the networks in private (none) mode"
CONTAINER_MODE_PORTS = "conflicting options: port publishing and the container type network mode"


def _mode_of(network_mode: str) -> tuple[str, str | None]:
    """-> (mode, primary network ref or joined container id)."""
    if network_mode in ("", "default", DEFAULT_BRIDGE):
        return MODE_BRIDGE, DEFAULT_BRIDGE
    if network_mode == NONE:
        return MODE_NONE, None
    if network_mode == HOST:
        return MODE_HOST, None
    if network_mode.startswith("container:"):
        target = network_mode.partition(":")[2]
        if not target:
            raise InvalidParameter("network: NetworkMode container: names no container")
        return MODE_CONTAINER, target
    return MODE_BRIDGE, network_mode


def _endpoints(spec: SandboxSpec, registry: NetworkRegistry, primary_ref: str) -> tuple[EndpointRecord, ...]:
    """The primary network first, then the other EndpointsConfig entries (API >= 1.44 allows several)."""
    configs = {("bridge" if ref == "default" else ref): cfg for ref, cfg in spec.endpoints_config.items()}
    primary = registry.resolve(primary_ref)
    if not primary.takes_endpoints:
        raise InvalidParameter(f"network: NetworkMode {spec.network_mode}: cannot attach to network {primary.name}")
    primary_config = configs.pop(primary_ref, None) or configs.pop(primary.name, None) or configs.pop(primary.id, None)
    endpoints = [endpoint_from_config(primary, primary_config)]
    for ref, config in configs.items():
        network = registry.resolve(ref)
        if network.id == primary.id or any(e.network_id == network.id for e in endpoints):
            continue
        if not network.takes_endpoints:
            raise InvalidParameter(SHARED_NAMESPACE if network.name == HOST else PRIVATE_MODE)
        endpoints.append(endpoint_from_config(network, config))
    return tuple(endpoints)


def _other_networks(spec: SandboxSpec, mode: str) -> list[str]:
    ignorable = {mode, "default"} if mode in (MODE_NONE, MODE_HOST) else set()
    return [ref for ref in spec.endpoints_config if ref not in ignorable]


def record_from_spec(spec: SandboxSpec, registry: NetworkRegistry, host_gateway: str) -> ContainerRecord:
    """Validate everything the engine's create would: networks exist, addresses fit, ports parse."""
    mode, target = _mode_of(spec.network_mode)
    parse_extra_hosts(spec.extra_hosts, host_gateway)
    requests, exposed = parse_port_requests(spec.port_bindings, spec.exposed_ports, spec.publish_all)
    endpoints: tuple[EndpointRecord, ...] = ()
    if mode == MODE_BRIDGE:
        endpoints = _endpoints(spec, registry, target)
    elif _other_networks(spec, mode):
        raise InvalidParameter(PRIVATE_MODE if mode == MODE_NONE else SHARED_NAMESPACE)
    if mode == MODE_CONTAINER and (spec.publish_all or any(spec.port_bindings.values())):
        raise InvalidParameter(CONTAINER_MODE_PORTS)
    return ContainerRecord(
        container_id=spec.container_id,
        name=spec.name.lstrip("/"),
        hostname=spec.hostname,
        container_dir=str(spec.container_dir),
        mode=mode,
        joined_to=target if mode == MODE_CONTAINER else None,
        domainname=spec.domainname,
        endpoints=endpoints,
        port_requests=requests if mode == MODE_BRIDGE else (),
        exposed_ports=exposed,
        dns=tuple(spec.dns),
        dns_search=tuple(spec.dns_search),
        dns_options=tuple(spec.dns_options),
        extra_hosts=tuple(spec.extra_hosts),
    )


def refreshed(record: ContainerRecord, spec: SandboxSpec, host_gateway: str) -> ContainerRecord:
    """A recorded container starting again: its attachments stay as connect/disconnect left them; what
    may have changed since (a rename, the container dir, DNS options) is taken from the spec."""
    parse_extra_hosts(spec.extra_hosts, host_gateway)
    return replace(
        record,
        name=spec.name.lstrip("/"),
        hostname=spec.hostname,
        container_dir=str(spec.container_dir),
        domainname=spec.domainname,
        dns=tuple(spec.dns),
        dns_search=tuple(spec.dns_search),
        dns_options=tuple(spec.dns_options),
        extra_hosts=tuple(spec.extra_hosts),
    )
