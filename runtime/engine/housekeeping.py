"""Disk space: `docker container prune`, `docker image prune` (dangling, or -a every unused image) and
`docker system df` (-v), with Docker's shapes and its `until` and label filters."""

import time
from collections.abc import Callable, Mapping

from common import rfc3339
from runtime.engine.containers import Containers
from runtime.engine.events import EventBus
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.model import CREATED, DEAD, EXITED, Container
from runtime.errors import Conflict, InvalidParameter, NotFound
from runtime.images.removal import Removal
from runtime.images.store import ImageStore
from runtime.network.filters import parse_until
from runtime.volumes import VolumeService

CONTAINER_PRUNE_FILTERS = ("until", "label", "label!")
IMAGE_PRUNE_FILTERS = ("until", "label", "label!", "dangling")
PRUNABLE = (CREATED, EXITED, DEAD)  # moby prunes every container that is not running, paused or restarting


def _check(filters: Mapping[str, list[str]], allowed: tuple[str, ...]) -> None:
    for key in filters:
        if key not in allowed:
            raise InvalidParameter(f"invalid filter '{key}'")


def _label_matches(labels: Mapping[str, str], wanted: str) -> bool:
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


def _selected(created: float, labels: Mapping[str, str], filters: Mapping[str, list[str]], now: float) -> bool:
    """moby's prune filters: created before every `until`, all `label`s, none of the `label!`s."""
    if any(created >= parse_until(v, now) for v in filters.get("until", [])):
        return False
    if not all(_label_matches(labels, v) for v in filters.get("label", [])):
        return False
    return not any(_label_matches(labels, v) for v in filters.get("label!", []))


class Housekeeping:
    def __init__(
        self,
        containers: Containers,
        lifecycle: Lifecycle,
        images: ImageStore,
        volumes: VolumeService,
        events: EventBus,
        image_users: Callable[[str], list[Container]],
        writable_size: Callable[[Container], int],
    ) -> None:
        self._containers = containers
        self._lifecycle = lifecycle
        self._images = images
        self._volumes = volumes
        self._events = events
        self._image_users = image_users
        self._writable_size = writable_size

    def prune_containers(self, filters: Mapping[str, list[str]]) -> tuple[list[str], int]:
        """Stopped containers the filters select: the ids removed, and the bytes of their writable layers."""
        _check(filters, CONTAINER_PRUNE_FILTERS)
        now, deleted, reclaimed = time.time(), [], 0
        for c in self._containers.store:
            labels = c.config.get("Labels") or {}
            if c.state.status not in PRUNABLE or not _selected(
                (rfc3339.unix_seconds(c.created) or 0.0), labels, filters, now
            ):
                continue
            size = self._writable_size(c)
            try:
                self._lifecycle.remove(c, force=False, volumes=False)
            except (Conflict, NotFound):
                continue  # started or removed meanwhile
            deleted.append(c.id)
            reclaimed += size
        self._events.publish("container", "prune", "", reclaimed=str(reclaimed))
        return deleted, reclaimed

    def prune_images(self, filters: Mapping[str, list[str]]) -> tuple[list[Removal], int]:
        """Unused images: without tags only, or with dangling=false every one no container uses; what rmi said
        of each, and the bytes reclaimed."""
        _check(filters, IMAGE_PRUNE_FILTERS)
        dangling_only = (filters.get("dangling") or ["true"])[0].lower() in ("true", "1")
        now, deleted = time.time(), []
        before = self._images.layers_size()
        for image in self._images.list():
            if (dangling_only and image.repo_tags) or self._image_users(image.id):
                continue
            labels = image.container_config.get("Labels") or {}
            if not _selected((rfc3339.unix_seconds(image.config.get("created")) or 0.0), labels, filters, now):
                continue
            try:
                deleted += self._images.remove(image.id, force=True, in_use_by=lambda _: None)
            except (Conflict, NotFound):
                continue  # used or removed meanwhile
        reclaimed = max(before - self._images.layers_size(), 0)
        self._events.publish("image", "prune", "", reclaimed=str(reclaimed))
        return deleted, reclaimed
