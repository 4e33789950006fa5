"""The slice of the Engine API the container watcher follows (docker-py's low-level `docker.APIClient` fits
it, and so does a fake in unit tests), and what a failed call to the engine raises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import docker
import requests

# What a failed call to the engine raises: the daemon refused (APIError), or could not be reached.
ENGINE_ERRORS = (docker.errors.DockerException, requests.RequestException)


class ContainerApi(Protocol):
    def containers(self, all: bool = False) -> list[dict[str, Any]]:
        """`GET /containers/json`: the summaries (Id, Names, Image, State, Ports, NetworkSettings ...)."""
        ...

    def inspect_container(self, container: str) -> dict[str, Any]:
        """`GET /containers/{id}/json`; raises docker.errors.NotFound when it is gone."""
        ...

    def events(self, **options: Any) -> Iterator[dict[str, Any]]:
        """`GET /events`; with decode=True one dict per event, closable."""
        ...
