"""A container's volumes that are mounts (a plugin's, or local ones with mount options): mounted for it at start,
before its spec is written (its mount sources are their paths then), and unmounted when it exits; after a daemon
restart the running containers' are adopted. Plain local volumes need none of this and cost nothing here."""

import logging

from runtime.engine.model import Container
from runtime.engine.store import ContainerStore
from runtime.errors import EngineError
from runtime.volumes import VOLUME, VolumeService

log = logging.getLogger(__name__)


class ContainerVolumes:
    def __init__(self, volumes: VolumeService, store: ContainerStore) -> None:
        self._volumes = volumes
        self._store = store

    def _mounted(self, container: Container) -> list[dict]:
        return [m for m in container.mounts if m["type"] == VOLUME and self._volumes.needs_mount(m["name"])]

    def attach(self, container: Container) -> None:
        """Mount each for the container and record its path as the mount's source; all undone on failure."""
        done = []
        try:
            for mount in self._mounted(container):
                mount["source"] = str(self._volumes.mount(mount["name"], container.id))
                done.append(mount)
        except BaseException:
            for mount in done:
                self._unmount(container, mount)
            raise
        if done:
            self._store.save_config(container)

    def detach(self, container: Container) -> None:
        """At exit: each failure is logged, the others go on (an exit is never refused)."""
        for mount in self._mounted(container):
            self._unmount(container, mount)

    def adopt(self, container: Container) -> None:
        for mount in self._mounted(container):
            self._volumes.adopt(mount["name"], container.id)

    def _unmount(self, container: Container, mount: dict) -> None:
        try:
            self._volumes.unmount(mount["name"], container.id)
        except EngineError:
            log.exception("volume %s of container %s: could not be unmounted", mount["name"], container.id[:12])
