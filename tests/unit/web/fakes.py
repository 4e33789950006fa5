"""An engine that answers the dashboard's Engine API calls from memory, for tests without a daemon."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker
import requests


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
) -> dict[str, Any]:
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
        "Mounts": [],
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.0.0.2", "IPPrefixLen": 24}}, "Ports": {}},
    }


class FakeStream:
    """What docker-py returns with stream=True: an iterator with close()."""

    def __init__(self, items: list[Any]) -> None:
        self._items = iter(items)
        self.closed = False

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if self.closed:
            raise StopIteration
        return next(self._items)

    def close(self) -> None:
        self.closed = True


class FakeEngine:
    def __init__(self, containers: list[dict[str, Any]] | None = None) -> None:
        self.inspected: dict[str, dict[str, Any]] = {c["Id"]: c for c in containers or []}
        self.log_lines: dict[tuple[str, str], list[bytes]] = {}  # (id, "stdout"|"stderr") -> payloads
        self.log_calls: list[dict[str, Any]] = []
        self.log_streams: list[FakeStream] = []
        self.events_sent: list[dict[str, Any]] = []
        self.actions: list[tuple[str, str]] = []
        self.down = False
        self.image_details: dict[str, dict[str, Any]] = {}  # id -> inspect
        self.image_history: dict[str, list[dict[str, Any]]] = {}
        self.profiles: dict[str, dict[str, Any]] | None = {}  # None: an engine without the endpoint (Docker)

    def _check(self) -> None:
        if self.down:
            raise requests.ConnectionError("connection refused")

    def containers(self, all: bool = False) -> list[dict[str, Any]]:
        self._check()
        return [{"Id": c["Id"], "State": c["State"]["Status"]} for c in self.inspected.values()]

    def inspect_container(self, container: str) -> dict[str, Any]:
        self._check()
        if container not in self.inspected:
            raise docker.errors.NotFound(f"No such container: {container}")
        return self.inspected[container]

    def top(self, container: str) -> dict[str, Any]:
        return {"Titles": ["PID", "CMD"], "Processes": [["1", "sleep 1000"]]}

    def logs(self, container: str, **options: Any) -> FakeStream:
        self.log_calls.append({"container": container, **options})
        which = "stdout" if options.get("stdout") else "stderr"
        stream = FakeStream(list(self.log_lines.get((container, which), [])))
        self.log_streams.append(stream)
        return stream

    def events(self, **options: Any) -> FakeStream:
        self._check()
        return FakeStream(list(self.events_sent))

    def info(self) -> dict[str, Any]:
        self._check()
        return {"Name": "fakehost", "ServerVersion": "0.0-test"}

    def images(self, all: bool = False) -> list[dict[str, Any]]:
        self._check()
        return [
            {"Id": i["Id"], "RepoTags": i["RepoTags"], "Created": 1_700_000_000, "Size": i["Size"]}
            for i in self.image_details.values()
        ]

    def inspect_image(self, image: str) -> dict[str, Any]:
        self._check()
        if image not in self.image_details:
            raise docker.errors.ImageNotFound(f"No such image: {image}")
        return self.image_details[image]

    def history(self, image: str) -> list[dict[str, Any]]:
        self.inspect_image(image)
        return self.image_history.get(image, [])

    def build_profile(self, image: str) -> dict[str, Any] | None:
        self.inspect_image(image)
        return None if self.profiles is None else self.profiles.get(image, {"Id": image, "Steps": []})

    def stop(self, container: str, timeout: int | None = None) -> None:
        self.actions.append(("stop", container))

    def restart(self, container: str, timeout: int | None = None) -> None:
        self.actions.append(("restart", container))

    def pause(self, container: str) -> None:
        self.actions.append(("pause", container))

    def unpause(self, container: str) -> None:
        self.actions.append(("unpause", container))
