"""The slice of the Engine API the dashboard uses: the container watcher's (list, inspect, events) and the
pages' own (top, logs, info). docker-py's low-level `docker.APIClient` fits it, and so does a fake in unit
tests. The dashboard never talks to the engine any other way."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Protocol

import docker
from docker.constants import DEFAULT_DOCKER_API_VERSION as DEFAULT_VERSION

from exporter.engine_api import ContainerApi

log = logging.getLogger("porthole.web")


class EngineApi(ContainerApi, Protocol):
    def top(self, container: str) -> dict[str, Any]:
        """`GET /containers/{id}/top`: {"Titles": [...], "Processes": [[...], ...]}."""
        ...

    def logs(self, container: str, **options: Any) -> Iterator[bytes]:
        """`GET /containers/{id}/logs`; with stream=True one frame's payload per item, closable."""
        ...

    def info(self) -> dict[str, Any]:
        """`GET /info`: the engine's name, version, containers, images ..."""
        ...

    def images(self, all: bool = False) -> list[dict[str, Any]]:
        """`GET /images/json`: the summaries (Id, RepoTags, Created, Size ...)."""
        ...

    def inspect_image(self, image: str) -> dict[str, Any]:
        """`GET /images/{name}/json`; raises docker.errors.NotFound (ImageNotFound) when it is absent."""
        ...

    def history(self, image: str) -> list[dict[str, Any]]:
        """`GET /images/{name}/history`: the steps, newest first (Id, Created, CreatedBy, Size, Comment)."""
        ...

    def build_profile(self, image: str) -> dict[str, Any] | None:
        """porthole's `GET /porthole/images/{name}/build-profile`: what each step of the image's last build cost;
        None from an engine that has no such endpoint (Docker)."""
        ...


class EngineControls(Protocol):
    """The calls behind the dashboard's controls, offered only with --enable-controls."""

    def stop(self, container: str, timeout: int | None = None) -> None:
        """`POST /containers/{id}/stop`."""
        ...

    def restart(self, container: str, timeout: int | None = None) -> None:
        """`POST /containers/{id}/restart`."""
        ...

    def pause(self, container: str) -> None:
        """`POST /containers/{id}/pause`."""
        ...

    def unpause(self, container: str) -> None:
        """`POST /containers/{id}/unpause`."""
        ...


class PortholeClient(docker.APIClient):
    """docker-py's client plus the one endpoint of porthole's own the dashboard reads."""

    def build_profile(self, image: str) -> dict[str, Any] | None:
        response = self._get(self._url("/porthole/images/{0}/build-profile", image))
        if response.status_code == 404 and "No such image" not in response.text:
            return None  # an engine without the endpoint (Docker answers "page not found")
        return self._result(response, json=True)


def connect(base_url: str, timeout: float = 30) -> PortholeClient:
    """A client for unix://, tcp:// or http(s):// engine URLs, speaking the API version the engine offers.

    An engine that does not answer yet gets docker-py's default version instead of an error: the dashboard
    starts anyway, shows the engine as unreachable, and recovers when it comes up.
    """
    try:
        return PortholeClient(base_url=base_url, timeout=timeout, version="auto")
    except docker.errors.DockerException as e:
        log.warning("web: the engine at %s does not answer (%s); speaking API %s to it", base_url, e, DEFAULT_VERSION)
        return PortholeClient(base_url=base_url, timeout=timeout, version=DEFAULT_VERSION)
