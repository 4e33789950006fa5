"""The volume store behind `volume create/ls/inspect/rm/prune` and behind containers' volume mounts: local
volumes (plain directories, or mounts of something else: local_mounts.py) and volumes of plugins (plugins.py).
A volume that is a mount is mounted when a container first uses it and unmounted when the last one stops
(mount/unmount, called by the engine at start and exit).

Safe for the daemon's concurrent requests: one lock guards the name table and each volume's appearance or
disappearance (one rename each, see layout.py); slow work (deleting data, measuring it) and the engine's
callbacks run outside it. Which containers use a volume is the engine's knowledge, passed in as callbacks:
a container created between the in-use check of `remove` and the removal is the engine's to serialize.
"""

from __future__ import annotations  # the method `list` shadows the builtin in annotations below it

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from common.rfc3339 import format_ns
from runtime.errors import Conflict, EngineError, NotFound
from runtime.volumes import layout
from runtime.volumes.filters import Filters, list_predicate, prune_predicate
from runtime.volumes.local_mounts import is_mounted, mount_volume, parse_mount_options, unmount_volume
from runtime.volumes.names import ANONYMOUS_LABEL, LOCAL_DRIVER, new_anonymous_name, validate_volume_name
from runtime.volumes.plugins import PLUGIN_DIRS, VolumePlugin, find_plugin
from runtime.volumes.volume import PluginView, Volume

log = logging.getLogger(__name__)

Users = Callable[[str], list[str]]  # volume name -> ids of the containers that mount it
# (action, volume name) after a volume appeared ("create") or went ("destroy"): the engine's `docker events`.
VolumeEvents = Callable[[str, str], None]


class VolumeService:
    def __init__(
        self,
        data_root: Path,
        events: VolumeEvents | None = None,
        plugin_dirs: Sequence[Path] = PLUGIN_DIRS,
        data_owner: tuple[int, int] | None = None,  # --userns-remap: the containers' root owns new volumes
    ) -> None:
        self._root = data_root / "volumes"
        self._data_owner = data_owner
        self._events = events
        self._plugin_dirs = tuple(plugin_dirs)
        self._plugins: dict[str, VolumePlugin] = {}  # activated once, as Docker does
        self._users: dict[str, set[str]] = {}  # volume name -> containers it is mounted for now
        self._mount_lock = threading.Lock()  # mounts and plugin calls may be slow: not under _lock
        self._lock = threading.Lock()
        self._pruning = False
        layout.prepare(self._root)
        self._volumes = {meta["Name"]: self._volume(meta) for meta in layout.load(self._root)}

    def create(
        self,
        name: str | None,
        *,
        driver: str = LOCAL_DRIVER,
        driver_opts: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        anonymous: bool = False,
    ) -> Volume:
        """Create a volume, or return the existing one of that name unchanged (as Docker does). No name makes
        an anonymous volume with 64 random hex digits as its name."""
        volume, _made = self.create_if_missing(
            name, driver=driver, driver_opts=driver_opts, labels=labels, anonymous=anonymous
        )
        return volume

    def create_if_missing(
        self,
        name: str | None,
        *,
        driver: str = LOCAL_DRIVER,
        driver_opts: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        anonymous: bool = False,
    ) -> tuple[Volume, bool]:
        """As create, and whether this call made the volume (what a rollback may remove)."""
        if not name:
            name, anonymous = new_anonymous_name(), True
        validate_volume_name(name)
        driver = driver or LOCAL_DRIVER
        try:
            plugin = None if driver == LOCAL_DRIVER else self._plugin(driver)
        except NotFound as exc:
            raise NotFound(f"create {name}: {exc.message}") from exc
        with self._lock:
            existing = self._volumes.get(name)
            if existing is not None:
                return existing, False
            if plugin is None:
                parse_mount_options(name, driver_opts)  # Docker checks options only for a volume it makes
            else:
                plugin.create(name, dict(driver_opts or {}))
            if anonymous:
                labels = {**(labels or {}), ANONYMOUS_LABEL: ""}
            metadata = {
                "Name": name,
                "Driver": driver,
                "CreatedAt": format_ns(time.time_ns() // 1_000_000_000 * 1_000_000_000),  # whole seconds, as Docker's
                "Labels": dict(labels) if labels is not None else None,
                "Options": dict(driver_opts) if driver_opts is not None else None,
                "Anonymous": anonymous,
            }
            layout.create(self._root, name, metadata, self._data_owner)
            volume = self._volumes[name] = self._volume(metadata)
        self._emit("create", name)
        return volume, True

    def get(self, name: str) -> Volume:
        with self._lock:
            volume = self._volumes.get(name)
        if volume is None:
            raise NotFound(f"get {name}: no such volume")
        return volume

    def list(self, filters: Filters, in_use: Callable[[str], bool]) -> list[Volume]:
        """Volumes matching `filters` (name, label, dangling, driver), sorted by name."""
        matches = list_predicate(filters, in_use)
        return [v for v in self._snapshot() if matches(v)]

    def remove(self, name: str, *, force: bool, users: Users) -> None:
        """Remove a volume and its data. `force` forgives a missing volume, and a plugin that cannot remove its
        volume (the record is dropped); a volume in use is kept."""
        try:
            self.get(name)
        except NotFound:
            if force:
                return
            raise
        in_use_by = users(name)
        if in_use_by:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(in_use_by)}]")
        volume = self.get(name)
        if volume.driver != LOCAL_DRIVER:
            try:
                self._plugin(volume.driver).remove(name)
            except EngineError as exc:
                if not force:
                    raise
                # as Docker's `volume rm -f`: a plugin gone or failing does not keep the record here
                log.warning("%s (volume %s forgotten: --force)", exc.message, name)
        self._discard(name)

    def prune(self, filters: Filters, users: Users) -> tuple[list[str], int]:
        """Remove unused volumes matching `filters` (label, label!, all); (names removed, bytes reclaimed).
        Anonymous volumes only unless all=true, as Docker 23+ does."""
        matches = prune_predicate(filters)
        with self._lock:
            if self._pruning:
                raise Conflict("a prune operation is already running")
            self._pruning = True
        try:
            deleted, reclaimed = [], 0
            for volume in self._snapshot():
                # Docker leaves out volumes with options: mounts of something else, nothing to reclaim (and
                # porthole leaves out plugins' volumes: their data is the plugin's)
                if volume.options or volume.driver != LOCAL_DRIVER or not matches(volume) or users(volume.name):
                    continue
                size = layout.disk_usage(volume.mountpoint)
                if self._discard(volume.name):
                    deleted.append(volume.name)
                    reclaimed += size
            return deleted, reclaimed
        finally:
            with self._lock:
                self._pruning = False

    def plugin_view(self, volume: Volume) -> PluginView | None:
        """What a plugin's Get and Capabilities say of one of its volumes (None for a local volume); a plugin that
        does not answer shows as no path, and inspect and ls still answer."""
        if volume.driver == LOCAL_DRIVER:
            return None
        found = self._plugin_view(volume)
        return PluginView(found.get("Mountpoint", ""), found.get("Status"), self._scope(volume.driver))

    # -- mounts ------------------------------------------------------------------------------------------

    def needs_mount(self, name: str) -> bool:
        """Whether the volume is mounted per use (a plugin's, or a local one with mount options)."""
        volume = self.get(name)
        return volume.driver != LOCAL_DRIVER or bool(volume.options)

    def mount(self, name: str, container_id: str) -> Path:
        """The volume ready for the container: the path to bind into it (mounted at its first user)."""
        volume = self.get(name)
        with self._mount_lock:
            users = self._users.setdefault(name, set())
            if volume.driver != LOCAL_DRIVER:
                path = self._plugin(volume.driver).mount(name, container_id)  # the plugin counts its users
            else:
                options = parse_mount_options(name, volume.options)
                if options is not None and not users and not is_mounted(volume.mountpoint):
                    mount_volume(name, options, volume.mountpoint)
                path = volume.mountpoint
            users.add(container_id)
            return path

    def unmount(self, name: str, container_id: str) -> None:
        """The container is done with the volume: unmounted after its last user."""
        volume = self.get(name)
        with self._mount_lock:
            users = self._users.get(name, set())
            users.discard(container_id)
            if volume.driver != LOCAL_DRIVER:
                self._plugin(volume.driver).unmount(name, container_id)
            elif not users and volume.options:
                unmount_volume(name, volume.mountpoint)

    def adopt(self, name: str, container_id: str) -> None:
        """After a daemon restart: a running container still has the volume mounted."""
        with self._mount_lock:
            self._users.setdefault(name, set()).add(container_id)

    def release_unused(self) -> None:
        """After the restart's adopt() calls: local mounts no running container uses any more (their last
        user died while the daemon was away) are unmounted."""
        for volume in self._snapshot():
            if volume.driver == LOCAL_DRIVER and volume.options and not self._users.get(volume.name):
                try:
                    unmount_volume(volume.name, volume.mountpoint)
                except EngineError:
                    log.exception("volume %s: could not be unmounted after the restart", volume.name)

    def _plugin(self, driver: str) -> VolumePlugin:
        plugin = self._plugins.get(driver)
        if plugin is None:
            plugin = self._plugins[driver] = find_plugin(driver, self._plugin_dirs)
        return plugin

    def _plugin_view(self, volume: Volume) -> dict[str, Any]:
        try:
            return self._plugin(volume.driver).get(volume.name)
        except EngineError as exc:  # inspect and ls still answer: the plugin's absence shows as no path
            log.warning("%s", exc.message)
            return {}

    def _scope(self, driver: str) -> str:
        try:
            return self._plugin(driver).capabilities().get("Scope") or "local"
        except EngineError:
            return "local"

    def _snapshot(self) -> list[Volume]:
        with self._lock:
            return sorted(self._volumes.values(), key=lambda v: v.name)

    def _discard(self, name: str) -> bool:
        """Remove the volume now, whoever uses it; False when it was already gone."""
        with self._lock:
            if name not in self._volumes:
                return False
            trash = layout.retire(self._root, name)
            del self._volumes[name]
        self._emit("destroy", name)
        layout.delete(name, trash)
        return True

    def _emit(self, action: str, name: str) -> None:
        # Outside the lock: the engine's event bus may take its own locks.
        if self._events is not None:
            self._events(action, name)

    def _volume(self, metadata: Mapping[str, Any]) -> Volume:
        labels = metadata.get("Labels")
        return Volume(
            name=metadata["Name"],
            driver=metadata.get("Driver", LOCAL_DRIVER),
            mountpoint=self._root / metadata["Name"] / layout.DATA_DIR,
            created_at=metadata["CreatedAt"],
            labels=labels,
            options=metadata.get("Options"),
            anonymous=metadata.get("Anonymous", ANONYMOUS_LABEL in (labels or {})),
        )
