"""The containers of one engine, as the probe needs them: from the list (names, networks, published ports,
fresh at every report) and an inspection (pid, start, restarts, command) redone only when a container is
new or its state changed, so a report for 500 containers costs one list call, not 500 inspections."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import docker

from common.rfc3339 import unix_seconds
from web.engine import ENGINE_ERRORS, EngineApi
from web.topology.report import NetworkAddress, PublishedPort

log = logging.getLogger("porthole.web.topology")


@dataclass(frozen=True, slots=True)
class Inspected:
    pid: int
    command: str
    created: float | None
    started_at: float | None
    restart_count: int
    memory_limit: int | None


@dataclass(frozen=True, slots=True)
class WatchedContainer:
    id: str
    name: str
    image: str
    state: str
    labels: Mapping[str, str]
    networks: tuple[NetworkAddress, ...]
    ports: tuple[PublishedPort, ...]
    inspected: Inspected


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


def inspected_of(info: Mapping[str, Any]) -> Inspected:
    state = info.get("State") or {}
    config = info.get("Config") or {}
    argv = [*(config.get("Entrypoint") or ()), *(config.get("Cmd") or ())]
    return Inspected(
        pid=state.get("Pid") or 0,
        command=" ".join(argv) or (info.get("Path") or ""),
        created=unix_seconds(info.get("Created")),
        started_at=unix_seconds(state.get("StartedAt")),
        restart_count=info.get("RestartCount") or 0,
        memory_limit=(info.get("HostConfig") or {}).get("Memory") or None,
    )


class ContainerWatcher:
    def __init__(self, api: EngineApi) -> None:
        self._api = api
        self._known: dict[str, tuple[str, Inspected]] = {}  # id -> (state when inspected, inspection)
        self.error: str | None = None  # why the last listing failed

    def stale(self, container_id: str) -> None:
        """Its process is gone though its state did not say so yet: inspect it again next time."""
        self._known.pop(container_id, None)

    def containers(self) -> list[WatchedContainer]:
        """Every container of the engine; none when it cannot be reached (`error` says why)."""
        try:
            summaries = self._api.containers(all=True)
        except ENGINE_ERRORS as e:
            self.error = f"topology: cannot list the containers of the engine: {e}"
            log.warning("%s", self.error)
            summaries = []
        else:
            self.error = None
        found: list[WatchedContainer] = []
        known: dict[str, tuple[str, Inspected]] = {}
        for summary in summaries:
            container_id, state = summary["Id"], summary.get("State") or "unknown"
            seen = self._known.get(container_id)
            inspected = seen[1] if seen is not None and seen[0] == state else self._inspect(container_id)
            if inspected is None:
                continue  # removed since the listing
            known[container_id] = (state, inspected)
            names = summary.get("Names") or ["/" + container_id[:12]]
            found.append(
                WatchedContainer(
                    id=container_id,
                    name=names[0].lstrip("/"),
                    image=summary.get("Image") or "",
                    state=state,
                    labels=summary.get("Labels") or {},
                    networks=networks_of(summary),
                    ports=ports_of(summary),
                    inspected=inspected,
                )
            )
        if summaries or self.error is None:
            self._known = known
        return found

    def _inspect(self, container_id: str) -> Inspected | None:
        try:
            return inspected_of(self._api.inspect_container(container_id))
        except docker.errors.NotFound:
            return None
        except ENGINE_ERRORS as e:
            log.warning("topology: cannot inspect container %s: %s", container_id[:12], e)
            return None
