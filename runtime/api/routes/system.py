"""/_ping, /version, /info and /events."""

import json
import os
import platform
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.api import params
from runtime.api.http import Json, Raw, Request, Response, Stream, client_gone
from runtime.api.router import Router
from runtime.api.server import API_VERSION, MIN_API_VERSION
from runtime.api.shapes import events as shapes
from runtime.engine.config import DaemonConfig
from runtime.engine.daemon import Engine
from runtime.engine.events import Event
from runtime.engine.model import PAUSED, RUNNING
from runtime.errors import InvalidParameter

if TYPE_CHECKING:
    from runtime.network.cluster import ClusterHost

VERSION = "0.1.0"
INDEX_SERVER_ADDRESS = "https://index.docker.io/v1/"  # what `docker login` without a server logs in to
EVENT_FILTERS = ("type", "event", "container", "image", "label", "network", "volume")


def _arch() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def register(router: Router, engine: Engine) -> None:
    def ping(req: Request) -> Response:
        return Raw(b"OK" if req.method == "GET" else b"", "text/plain; charset=utf-8")

    def version(req: Request) -> Response:
        body = {
            "Platform": {"Name": "porthole"},
            "Version": VERSION,
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": "porthole",
            "GoVersion": f"python{platform.python_version()}",
            "Os": "linux",
            "Arch": _arch(),
            "KernelVersion": platform.release(),
            "BuildTime": "2026-11-28T00:00:00.000000000+00:00",
        }
        body["Components"] = [
            {
                "Name": "Engine",
                "Version": VERSION,
                "Details": {
                    k: str(body[k])
                    for k in (
                        "ApiVersion",
                        "MinAPIVersion",
                        "GitCommit",
                        "GoVersion",
                        "Os",
                        "Arch",
                        "KernelVersion",
                        "BuildTime",
                    )
                },
            }
        ]
        return Json(body)

    def info(req: Request) -> Response:
        containers = list(engine.containers.store)
        running = sum(c.state.status == RUNNING for c in containers)
        paused = sum(c.state.status == PAUSED for c in containers)
        config = engine.config
        return Json(
            {
                "ID": engine.daemon_id,
                "Name": socket.gethostname(),
                "Containers": len(containers),
                "ContainersRunning": running,
                "ContainersPaused": paused,
                "ContainersStopped": len(containers) - running - paused,
                "Images": len(engine.images.list()),
                "ServerVersion": VERSION,
                "Driver": "overlay2",
                "DriverStatus": [["Backing Filesystem", "extfs"]],
                "LoggingDriver": config.log_driver,
                "CgroupDriver": "cgroupfs",
                "CgroupVersion": "2" if engine.cgroup_mode == "v2" else "1",
                "Plugins": {
                    "Volume": ["local"],
                    "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"],
                    "Authorization": None,
                    # moby lists its registered drivers: "none" is no driver there, only a refusal to log
                    "Log": [name for name in engine.log_registry.names() if name != "none"],
                },
                "Swarm": {"LocalNodeState": "inactive", "NodeID": "", "ControlAvailable": False},
                # Docker's fields of the days of --cluster-store (API < 1.42), kept: clients of that time read them
                "ClusterStore": config.cluster_store or "",
                "ClusterAdvertise": config.cluster_advertise or "",
                # porthole's own: the hosts of the cluster store, for the dashboard's list of hosts
                "ClusterHosts": [_cluster_host(h) for h in engine.networks.cluster_hosts()],
                "Runtimes": {"runc": {"path": "porthole-shim"}},  # what inspect names HostConfig.Runtime
                "DefaultRuntime": "runc",
                # as dockerd lists them: the default seccomp profile, and private cgroup namespaces on v2
                "SecurityOptions": ["name=seccomp,profile=builtin"]
                + (["name=userns"] if config.userns_remap else [])
                + (["name=cgroupns"] if engine.cgroup_mode == "v2" else []),
                **_cgroup_features(config.cgroup_root, engine.cgroup_mode),
                "IPv4Forwarding": _ipv4_forwarding(),
                "NFd": len(os.listdir("/proc/self/fd")),
                "KernelVersion": platform.release(),
                "OperatingSystem": _os_name(),
                "OSType": "linux",
                "Architecture": platform.machine(),
                "NCPU": os.cpu_count() or 1,
                "MemTotal": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
                "DockerRootDir": str(config.data_root),
                "Debug": False,
                "Labels": [],
                "ExperimentalBuild": False,
                "LiveRestoreEnabled": True,
                "IndexServerAddress": INDEX_SERVER_ADDRESS,
                "RegistryConfig": _registry_config(config),
                "Warnings": list(config.warnings) or None,  # moby's nil slice when there are none
            }
        )

    def events(req: Request) -> Response:
        wanted = params.filters(req)
        for key in wanted:
            if key not in EVENT_FILTERS:
                raise InvalidParameter(f"invalid filter '{key}'")
        since_ns, until_ns = params.unix_ns(req, "since"), params.unix_ns(req, "until")
        if until_ns is not None and until_ns < (since_ns or 0):
            raise InvalidParameter(
                f"`since` time ({params.text(req, 'since')}) cannot be after `until` time ({params.text(req, 'until')})"
            )
        return Stream(_event_stream(engine, wanted, since_ns, until_ns, req))

    router.add("GET", "/_ping", ping)
    router.add("GET", "/version", version)
    router.add("GET", "/info", info)
    router.add("GET", "/events", events)


def _registry_config(config: DaemonConfig) -> dict:
    """/info's RegistryConfig as dockerd 20.10 fills it: loopback is insecure, Docker Hub's index carries the
    mirrors (`docker info` prints them under "Registry Mirrors:"), each --insecure-registry has an index of its
    own."""
    hub = {"Name": "docker.io", "Mirrors": list(config.registry_mirrors), "Secure": True, "Official": True}
    insecure = {
        name: {"Name": name, "Mirrors": [], "Secure": False, "Official": False} for name in config.insecure_registries
    }
    return {
        "AllowNondistributableArtifactsCIDRs": [],
        "AllowNondistributableArtifactsHostnames": [],
        "InsecureRegistryCIDRs": ["127.0.0.0/8"],
        "IndexConfigs": {"docker.io": hub, **insecure},
        "Mirrors": list(config.registry_mirrors),
    }


def _cluster_host(host: "ClusterHost") -> dict[str, str]:
    """One entry of /info's ClusterHosts (porthole's own field): a host of the cluster store."""
    return {
        "ID": host.host_id,
        "Name": host.name,
        "Addr": host.address,
        "Metrics": host.metrics or "",
        "Dashboard": host.web or "",
    }


def _cgroup_features(cgroup_root: Path, mode: str) -> dict[str, bool]:
    """/info's limits the kernel offers, as moby's sysinfo finds them: a controller mounted (v1) or enabled at the
    root (v2). OomKillDisable needs v1's memory.oom_control: v2 has no such switch, and moby says false there."""
    if mode == "v2":
        try:
            controllers = set((cgroup_root / "cgroup.controllers").read_text().split())
        except FileNotFoundError:
            controllers = set()
        return {"CPUSet": "cpuset" in controllers, "PidsLimit": "pids" in controllers, "OomKillDisable": False}
    return {
        "CPUSet": (cgroup_root / "cpuset").is_dir(),
        "PidsLimit": (cgroup_root / "pids").is_dir(),
        "OomKillDisable": (cgroup_root / "memory" / "memory.oom_control").exists(),
    }


def _ipv4_forwarding() -> bool:
    try:
        return Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "1"
    except FileNotFoundError:  # a kernel without IPv4 networking
        return False


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except FileNotFoundError:
        return "Linux"
    return "Linux"


def _matches(event: Event, wanted: dict[str, list[str]]) -> bool:
    attrs = event.attributes
    checks = {
        "type": lambda v: event.type == v,
        "event": lambda v: event.action == v or event.action.split(":")[0] == v,
        "container": lambda v: event.type == "container" and (event.actor_id.startswith(v) or attrs.get("name") == v),
        "image": lambda v: attrs.get("image") == v or (event.type == "image" and event.actor_id == v),
        "label": lambda v: attrs.get(v.partition("=")[0]) == v.partition("=")[2] if "=" in v else v in attrs,
        "network": lambda v: event.type == "network" and (event.actor_id.startswith(v) or attrs.get("name") == v),
        "volume": lambda v: event.type == "volume" and event.actor_id == v,
    }
    return all(not values or any(checks[key](v) for v in values) for key, values in wanted.items())


def _event_stream(
    engine: Engine, wanted: dict[str, list[str]], since_ns: int | None, until_ns: int | None, req: Request
) -> Iterator[bytes]:
    past, subscription = engine.events.subscribe(since_ns, until_ns=until_ns)
    try:
        for event in past:
            if _matches(event, wanted):
                yield json.dumps(shapes.event(event)).encode() + b"\n"
        while until_ns is None or time.time_ns() < until_ns:
            event = subscription.next(timeout=1.0)
            if event is None:
                if client_gone(req.handler.connection):
                    return
                continue
            if until_ns is not None and event.time_ns > until_ns:
                return
            if _matches(event, wanted):
                yield json.dumps(shapes.event(event)).encode() + b"\n"
    finally:
        subscription.close()
