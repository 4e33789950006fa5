"""Turn a container's mount requests into the list of its mount points, before anything is created.

The order of precedence is Docker's (moby daemon/volumes.go registerMountPoints, create_unix.go):
1. `VolumesFrom`: the other container's mount points, read-only when asked; a later one wins a destination;
2. `Binds`, then `Mounts`: they override what came from other containers; two of them on one destination
   are an error ("Duplicate mount point");
3. `Config.Volumes` and the image's VOLUMEs: an anonymous volume each, unless the destination is already
   mounted by one of the above.
Every check runs here, so realize() never starts creating volumes for a request that is going to fail.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from runtime.errors import InvalidParameter
from runtime.volumes import modes
from runtime.volumes.binds import parse_bind
from runtime.volumes.local_mounts import parse_mount_options
from runtime.volumes.mountpoint import BIND, VOLUME, MountPoint
from runtime.volumes.mounts import parse_mount
from runtime.volumes.names import LOCAL_DRIVER, new_anonymous_name
from runtime.volumes.spec import MountSpec, check_destination


@dataclass(frozen=True)
class VolumeRequest:
    """A volume the container needs: made if missing, and filled from the image when asked and empty."""

    name: str  # 64 hex digits chosen here for an anonymous volume
    destination: str  # where the container mounts it: the image path its content comes from
    anonymous: bool
    copy_data: bool  # fill it from the image at `destination` if it is empty ("nocopy" says no)
    driver_opts: Mapping[str, str] | None = None
    labels: Mapping[str, str] | None = None
    driver: str = LOCAL_DRIVER  # a plugin's name: it is looked up when the volume is made (realize)


@dataclass(frozen=True)
class MountPlan:
    mounts: tuple[MountPoint, ...]  # parents first; a volume's source is "" until realize() knows it
    volumes: tuple[VolumeRequest, ...]  # volumes to make or find; other volume mounts (from VolumesFrom)
    # name volumes that must exist already


def plan_mounts(
    *,
    binds: Sequence[str],
    config_volumes: Mapping[str, Any],
    mounts: Sequence[Mapping[str, Any]],
    image_volumes: Mapping[str, Any],
    volumes_from: Sequence[tuple[Sequence[MountPoint], str]],
    volume_driver: str = "",
) -> MountPlan:
    """Validate every mount request and plan the container's mount points (see the module's docstring).
    `volumes_from` holds, per VolumesFrom entry, the other container's mount points and the entry's mode
    (as parse_volumes_from returns it); `volume_driver` is HostConfig.VolumeDriver, the driver of volumes that
    name none. Raises InvalidParameter."""
    inherited: dict[str, MountPoint] = {}
    for their_mounts, mode in volumes_from:
        rw = modes.read_write(mode)
        for mount in their_mounts:
            # Docker keeps the mount as the other container has it, but for the mode text.
            inherited[mount.destination] = replace(mount, rw=mount.rw and rw, mode="")

    explicit: dict[str, MountSpec] = {}
    for spec in [parse_bind(b) for b in _strings(binds, "Binds")] + [parse_mount(m) for m in mounts]:
        if spec.destination in explicit:
            raise InvalidParameter(f"Duplicate mount point: {spec.destination}")
        if spec.propagation:
            modes.supported_propagation(spec.propagation)
        explicit[spec.destination] = spec

    anonymous: list[str] = []
    for field, volumes in (("Volumes", config_volumes), ("image Volumes", image_volumes)):
        for path in _strings(volumes, field):
            destination = check_destination(VOLUME, path)
            if destination not in explicit and destination not in inherited and destination not in anonymous:
                anonymous.append(destination)

    planned: list[MountPoint] = []
    requests: list[VolumeRequest] = []
    for destination, mount in inherited.items():
        if destination not in explicit:
            planned.append(mount)
    for spec in explicit.values():
        mount, request = _from_spec(spec, volume_driver or LOCAL_DRIVER)
        planned.append(mount)
        requests += [request] if request else []
    for destination in anonymous:
        name = new_anonymous_name()
        driver = volume_driver or LOCAL_DRIVER
        requests.append(VolumeRequest(name, destination, anonymous=True, copy_data=True, driver=driver))
        mount = MountPoint(VOLUME, "", destination, mode="", rw=True, name=name, driver=driver)
        planned.append(mount)
    planned.sort(key=lambda m: (m.destination.count("/"), m.destination))
    return MountPlan(mounts=tuple(planned), volumes=tuple(requests))


def _from_spec(spec: MountSpec, default_driver: str) -> tuple[MountPoint, VolumeRequest | None]:
    mount = MountPoint(
        type=spec.type,
        source=spec.source if spec.type == BIND else "",
        destination=spec.destination,
        mode=spec.mode,
        rw=spec.rw,
        propagation=spec.propagation,
        tmpfs_options=spec.tmpfs_options,
        create_source=spec.create_source,
    )
    if spec.type != VOLUME:
        return mount, None
    name = spec.source or new_anonymous_name()
    driver = spec.driver or default_driver
    if driver == LOCAL_DRIVER:
        parse_mount_options(name, spec.driver_opts)
    request = VolumeRequest(
        name=name,
        destination=spec.destination,
        anonymous=not spec.source,
        copy_data=spec.copy_data,
        driver_opts=spec.driver_opts,
        labels=spec.labels,
        driver=driver,
    )
    return replace(mount, name=name, driver=driver), request


def _strings(values: Sequence[str] | Mapping[str, Any], field: str) -> list[str]:
    """The entries (or keys) of a JSON list (or object) of strings; InvalidParameter naming the field."""
    entries = list(values)
    for entry in entries:
        if not isinstance(entry, str):
            raise InvalidParameter(f"invalid {field}: entries must be strings, got {entry!r}")
    return entries
