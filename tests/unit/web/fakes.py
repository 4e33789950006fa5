"""An engine that answers the dashboard's Engine API calls from memory, for tests without a daemon: the
watcher's list, inspect and events (tests.unit.exporter.fakes), and the pages' top, logs, info and controls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker

from tests.unit.exporter.fakes import FakeEngine as FakeContainerApi


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


class FakeEngine(FakeContainerApi):
    def __init__(self, containers: list[dict[str, Any]] | None = None) -> None:
        super().__init__(containers)
        self.log_lines: dict[tuple[str, str], list[bytes]] = {}  # (id, "stdout"|"stderr") -> payloads
        self.log_calls: list[dict[str, Any]] = []
        self.log_streams: list[FakeStream] = []
        self.actions: list[tuple[str, str]] = []
        self.info_extra: dict[str, Any] = {}  # more of /info (a cluster's ClusterHosts)
        self.image_details: dict[str, dict[str, Any]] = {}  # id -> inspect
        self.image_history: dict[str, list[dict[str, Any]]] = {}
        self.profiles: dict[str, dict[str, Any]] | None = {}  # None: an engine without the endpoint (Docker)

    def top(self, container: str) -> dict[str, Any]:
        return {"Titles": ["PID", "CMD"], "Processes": [["1", "sleep 1000"]]}

    def logs(self, container: str, **options: Any) -> FakeStream:
        self.log_calls.append({"container": container, **options})
        which = "stdout" if options.get("stdout") else "stderr"
        stream = FakeStream(list(self.log_lines.get((container, which), [])))
        self.log_streams.append(stream)
        return stream

    def info(self) -> dict[str, Any]:
        self._check()
        return {"Name": "fakehost", "ServerVersion": "0.0-test", **self.info_extra}

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
