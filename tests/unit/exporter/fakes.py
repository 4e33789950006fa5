"""Stand-ins for the exporter's outside world: a target source, and an Engine API (docker-py's low-level
client) that answers the container watcher's list, inspect and events from memory."""

from __future__ import annotations

import threading
from typing import Any

import docker
import requests

from exporter.targets import Target


class FakeSource:
    """A TargetSource over a list the test changes."""

    def __init__(self, targets: tuple[Target, ...] = ()) -> None:
        self.current = targets
        self.stale_calls = 0

    def targets(self) -> tuple[Target, ...]:
        return self.current

    def stale(self) -> None:
        self.stale_calls += 1


def inspect_json(
    cid: str,
    name: str,
    *,
    state: str = "running",
    pid: int = 4242,
    image: str = "busybox:latest",
    labels: dict[str, str] | None = None,
    restart_count: int = 0,
    env: list[str] | None = None,
    host_config: dict[str, Any] | None = None,
    upper: str | None = None,
) -> dict[str, Any]:
    """Docker's `GET /containers/{id}/json`, with what the watcher and the pages read."""
    return {
        "Id": cid,
        "Name": "/" + name,
        "Created": "2024-05-01T10:00:00.000000000Z",
        "Image": "sha256:" + "ab" * 32,
        "RestartCount": restart_count,
        "State": {
            "Status": state,
            "Pid": pid if state in ("running", "paused") else 0,
            "StartedAt": "2024-05-01T10:00:01.5Z",
            "FinishedAt": "0001-01-01T00:00:00Z" if state == "running" else "2024-05-01T10:05:00Z",
            "ExitCode": 0 if state == "running" else 3,
            "OOMKilled": False,
        },
        "Config": {
            "Image": image,
            "Labels": labels or {},
            "Env": env if env is not None else ["PATH=/bin", "PASSWORD=hunter2"],
            "Cmd": ["sh", "-c", "echo hi"],
            "Hostname": cid[:12],
        },
        "HostConfig": {"RestartPolicy": {"Name": "no"}, "LogConfig": {"Type": "json-file", "Config": {}}}
        | (host_config or {}),
        "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": upper or f"/layers/{name}/upper"}},
        "Mounts": [],
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.0.0.2", "IPPrefixLen": 24}}, "Ports": {}},
    }


class FakeEvents:
    """An events stream that hands out what the test puts in, until closed."""

    def __init__(self) -> None:
        self._items: list[dict] = []
        self._ready = threading.Condition()
        self.closed = False

    def put(self, event: dict) -> None:
        with self._ready:
            self._items.append(event)
            self._ready.notify_all()

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()

    def __iter__(self):
        while True:
            with self._ready:
                self._ready.wait_for(lambda: self._items or self.closed)
                if self.closed:
                    return
                event = self._items.pop(0)
            yield event


class FakeEngine:
    """The Engine API's list, inspect and events, from the inspect bodies in `inspected`."""

    def __init__(self, containers: list[dict[str, Any]] | None = None) -> None:
        self.inspected: dict[str, dict[str, Any]] = {c["Id"]: c for c in containers or []}
        self.inspections: list[str] = []  # the ids inspected, in order
        self.stream = FakeEvents()  # every events call gets this one
        self.event_options: list[dict[str, Any]] = []
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise requests.ConnectionError("connection refused")

    def containers(self, all: bool = False) -> list[dict[str, Any]]:
        self._check()
        listed = [{"Id": c["Id"], "State": c["State"]["Status"]} for c in self.inspected.values()]
        return listed if all else [c for c in listed if c["State"] in ("running", "paused")]

    def inspect_container(self, container: str) -> dict[str, Any]:
        self._check()
        self.inspections.append(container)
        if container not in self.inspected:
            raise docker.errors.NotFound(f"No such container: {container}")
        return self.inspected[container]

    def events(self, **options: Any) -> FakeEvents:
        self._check()
        self.event_options.append(options)
        return self.stream
