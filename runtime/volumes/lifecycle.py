"""A container's volumes over its life: made (and filled from the image) when it is created, removed with
it by `rm -v` when they are anonymous and nobody else uses them.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from runtime.errors import Conflict, NotFound
from runtime.volumes import layout
from runtime.volumes.mountpoint import VOLUME, MountPoint
from runtime.volumes.plan import MountPlan
from runtime.volumes.service import Users, VolumeService

# fill(destination in the image, the volume's data directory): copy the image's content at that path (and the
# directory's owner and mode) into the volume; do nothing when the image has nothing there.
Fill = Callable[[str, Path], None]


def realize(plan: MountPlan, volumes: VolumeService, fill: Fill) -> list[MountPoint]:
    """Make the planned volumes and fill each empty one that asks for the image's content, as Docker does;
    return the mount points with their sources. When anything fails, the volumes made here are removed
    before the error goes on, so a failed create leaves no volume behind."""
    requested = {request.name for request in plan.volumes}
    for mount in plan.mounts:
        if mount.type == VOLUME and mount.name not in requested:
            volumes.get(mount.name)  # from VolumesFrom: still there, or NotFound before anything is made
    made: list[str] = []
    try:
        for request in plan.volumes:
            volume, new = volumes.create_if_missing(
                request.name,
                driver=request.driver,
                driver_opts=request.driver_opts,
                labels=request.labels,
                anonymous=request.anonymous,
            )
            if new:
                made.append(volume.name)
            # a volume that is a mount (a plugin's, or local with options) is not mounted yet: nothing to fill
            if request.copy_data and not volumes.needs_mount(volume.name) and layout.is_empty(volume.mountpoint):
                fill(request.destination, volume.mountpoint)
        return [_with_source(m, volumes) if m.type == VOLUME else m for m in plan.mounts]
    except BaseException:
        for name in reversed(made):
            volumes.remove(name, force=True, users=_nobody)
        raise


def remove_anonymous(
    volumes: VolumeService, mounts: Sequence[MountPoint], users: Users, container_id: str
) -> list[str]:
    """`rm -v`: remove the anonymous volumes among a removed container's mounts that no other container
    uses (named volumes and bind sources are never touched); return the names removed."""
    removed = []

    def other_users(name: str) -> list[str]:
        return [c for c in users(name) if c != container_id]

    for mount in mounts:
        if mount.type != VOLUME:
            continue
        try:
            if not volumes.get(mount.name).anonymous:
                continue
            volumes.remove(mount.name, force=False, users=other_users)
        except (NotFound, Conflict):
            continue  # already gone, or another container (e.g. via --volumes-from) still uses it: kept
        removed.append(mount.name)
    return removed


def _with_source(mount: MountPoint, volumes: VolumeService) -> MountPoint:
    """A volume mount with its host path: its directory, or "" until a start mounts it (mount_at_start)."""
    volume = volumes.get(mount.name)
    return replace(
        mount, source="" if volumes.needs_mount(mount.name) else str(volume.mountpoint), driver=volume.driver
    )


def _nobody(_name: str) -> list[str]:
    return []
