"""The local volume store behind `volume create/ls/inspect/rm/prune` and behind containers' volume mounts.

Safe for the daemon's concurrent requests: one lock guards the name table and each volume's appearance or
disappearance (one rename each, see layout.py); slow work (deleting data, measuring it) and the engine's
callbacks run outside it. Which containers use a volume is the engine's knowledge, passed in as callbacks:
a container created between the in-use check of `remove` and the removal is the engine's to serialize.
"""

from __future__ import annotations  # the method `list` shadows the builtin in annotations below it

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from common.rfc3339 import format_ns
from runtime.errors import Conflict, NotFound
from runtime.volumes import layout
from runtime.volumes.filters import Filters, list_predicate, prune_predicate
from runtime.volumes.names import (
    ANONYMOUS_LABEL,
    LOCAL_DRIVER,
    new_anonymous_name,
    validate_driver,
    validate_driver_opts,
    validate_volume_name,
)
from runtime.volumes.volume import Volume

Users = Callable[[str], list[str]]  # volume name -> ids of the containers that mount it
# (action, volume name) after a volume appeared ("create") or went ("destroy"): the engine's `docker events`.
VolumeEvents = Callable[[str, str], None]


class VolumeService:
    def __init__(self, data_root: Path, events: VolumeEvents | None = None) -> None:
        self._root = data_root / "volumes"
        self._events = events
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
        validate_driver(name, driver)
        with self._lock:
            existing = self._volumes.get(name)
            if existing is not None:
                return existing, False
            validate_driver_opts(name, driver_opts)  # Docker checks options only for a volume it makes
            if anonymous:
                labels = {**(labels or {}), ANONYMOUS_LABEL: ""}
            metadata = {
                "Name": name,
                "Driver": LOCAL_DRIVER,
                "CreatedAt": format_ns(time.time_ns() // 1_000_000_000 * 1_000_000_000),  # whole seconds, as Docker's
                "Labels": dict(labels) if labels is not None else None,
                "Options": dict(driver_opts) if driver_opts is not None else None,
                "Anonymous": anonymous,
            }
            layout.create(self._root, name, metadata)
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
        """Remove a volume and its data. `force` only forgives a missing volume; a volume in use is kept."""
        try:
            self.get(name)
        except NotFound:
            if force:
                return
            raise
        in_use_by = users(name)
        if in_use_by:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(in_use_by)}]")
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
                # Docker leaves out volumes with options: mounts of something else, nothing to reclaim.
                if volume.options or not matches(volume) or users(volume.name):
                    continue
                size = layout.disk_usage(volume.mountpoint)
                if self._discard(volume.name):
                    deleted.append(volume.name)
                    reclaimed += size
            return deleted, reclaimed
        finally:
            with self._lock:
                self._pruning = False

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
