"""What the container watcher knows of each container, parsed once from the Engine API's JSON (inspect and
the list), the same for porthole and Docker. The dashboard shows the records, the map reports them, and the
exporter's targets are made from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.rfc3339 import unix_seconds

# States in which the container has a process whose cgroup can be read.
LIVE_STATES = frozenset({"running", "paused"})


@dataclass(frozen=True, slots=True)
class NetworkAddress:
    network: str  # the engine's network name
    ip: str
    prefix_len: int


@dataclass(frozen=True, slots=True)
class PublishedPort:
    container_port: int
    proto: str  # tcp, udp
    host_ip: str  # 0.0.0.0 (or ::): every address of the host
    host_port: int


@dataclass(frozen=True, slots=True)
class ContainerRecord:
    id: str
    name: str  # without Docker's leading "/"
    image: str  # Config.Image as given ("busybox:latest")
    state: str  # created, running, paused, restarting, removing, exited, dead
    pid: int  # 0 unless running or paused
    created: float | None  # unix seconds
    started_at: float | None
    finished_at: float | None
    restart_count: int
    exit_code: int
    oom_killed: bool
    restart_policy: str  # "no", "always", "on-failure:3", "unless-stopped"
    labels: Mapping[str, str] = field(default_factory=dict)
    command: str = ""  # entrypoint and command, as `docker ps` shows them
    memory_limit: int | None = None  # HostConfig.Memory; None when unlimited
    upper_dir: str | None = None  # the writable layer (GraphDriver.Data.UpperDir)
    # From the list, not the inspection: a `docker network connect` changes them without a container event.
    networks: tuple[NetworkAddress, ...] = ()
    ports: tuple[PublishedPort, ...] = ()
    health: str | None = None  # State.Health.Status: starting, healthy, unhealthy; None without a healthcheck

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES and self.pid > 0


def record_from_inspect(info: Mapping[str, Any]) -> ContainerRecord:
    """A record from `GET /containers/{id}/json` (networks and ports come from the list: networks_of, ports_of)."""
    state = info.get("State") or {}
    config = info.get("Config") or {}
    host_config = info.get("HostConfig") or {}
    policy = host_config.get("RestartPolicy") or {}
    policy_name = policy.get("Name") or "no"
    if policy_name == "on-failure" and policy.get("MaximumRetryCount"):
        policy_name = f"on-failure:{policy['MaximumRetryCount']}"
    argv = [*(config.get("Entrypoint") or ()), *(config.get("Cmd") or ())]
    return ContainerRecord(
        id=info["Id"],
        name=(info.get("Name") or "").lstrip("/"),
        image=config.get("Image") or info.get("Image") or "",
        state=state.get("Status") or "unknown",
        pid=state.get("Pid") or 0,
        created=unix_seconds(info.get("Created")),
        started_at=unix_seconds(state.get("StartedAt")),
        finished_at=unix_seconds(state.get("FinishedAt")),
        restart_count=info.get("RestartCount") or 0,
        exit_code=state.get("ExitCode") or 0,
        oom_killed=bool(state.get("OOMKilled")),
        restart_policy=policy_name,
        labels=dict(config.get("Labels") or {}),
        health=(state.get("Health") or {}).get("Status"),
        command=" ".join(argv) or (info.get("Path") or ""),
        memory_limit=host_config.get("Memory") or None,
        upper_dir=((info.get("GraphDriver") or {}).get("Data") or {}).get("UpperDir"),
    )


def networks_of(summary: Mapping[str, Any]) -> tuple[NetworkAddress, ...]:
    """The addresses a container has on its networks, from the list's NetworkSettings.Networks."""
    networks = (summary.get("NetworkSettings") or {}).get("Networks") or {}
    found = []
    for name, settings in sorted(networks.items()):
        settings = settings or {}
        if settings.get("IPAddress"):
            found.append(NetworkAddress(name, settings["IPAddress"], int(settings.get("IPPrefixLen") or 0)))
        if settings.get("GlobalIPv6Address"):
            found.append(
                NetworkAddress(name, settings["GlobalIPv6Address"], int(settings.get("GlobalIPv6PrefixLen") or 0))
            )
    return tuple(found)


def ports_of(summary: Mapping[str, Any]) -> tuple[PublishedPort, ...]:
    """The published ports, from the list's Ports ([{IP, PrivatePort, PublicPort, Type}]); unpublished
    (exposed only) ports have no PublicPort and are left out."""
    found = []
    for port in summary.get("Ports") or ():
        if port.get("PublicPort"):
            found.append(
                PublishedPort(
                    container_port=int(port["PrivatePort"]),
                    proto=port.get("Type") or "tcp",
                    host_ip=port.get("IP") or "0.0.0.0",
                    host_port=int(port["PublicPort"]),
                )
            )
    return tuple(found)
