"""The `-v` forms of `HostConfig.Binds` ("/host:/ctr[:mode]", "name:/ctr[:mode]", "/ctr") and of
`HostConfig.VolumesFrom` ("container[:mode]"), parsed as Docker's Linux parser does (moby
daemon/volume/mounts/linux_parser.go ParseMountRaw and ParseVolumesFrom), with Docker's error texts.

As Docker's -v, "-v /host:/ctr" with a missing host path makes it a directory when the container starts (and
`--mount type=bind` refuses it: runtime.volumes.mounts).
"""

from runtime.errors import InvalidParameter
from runtime.volumes import modes
from runtime.volumes.mountpoint import BIND, VOLUME
from runtime.volumes.names import validate_volume_name
from runtime.volumes.spec import MountSpec, check_bind_path, check_destination, config_error


def parse_bind(raw: str) -> MountSpec:
    """One Binds entry as a MountSpec; InvalidParameter naming the entry and the reason."""
    parts = raw.split(":", 3)
    if parts[0] == "" or len(parts) > 3:
        raise _invalid_spec(raw)
    mode = ""
    if len(parts) == 1:
        source, target = "", parts[0]
    elif len(parts) == 2:
        if modes.valid_mode(parts[1]):
            # "/data:ro" is a destination and a mode without a source: not a spec.
            raise _invalid_spec(raw)
        source, target = parts
    else:
        source, target, mode = parts
    if not modes.valid_mode(mode):
        raise InvalidParameter(f"invalid mode: {mode}")

    mount_type = BIND if source.startswith("/") else VOLUME
    try:
        destination = check_destination(mount_type, target)
        if mount_type == BIND:
            return _bind(source, destination, mode)
        spec = _volume(source, destination, mode)
    except InvalidParameter as err:
        raise InvalidParameter(f"{_invalid_spec(raw).message}: {err.message}") from None
    if source:
        validate_volume_name(source)
    return spec


def parse_volumes_from(spec: str) -> tuple[str, str]:
    """(container reference, mode) of a VolumesFrom entry; the mode is "rw" when none is given."""
    if spec == "":
        raise InvalidParameter("volumes-from specification cannot be an empty string")
    container, _, mode = spec.partition(":")
    if mode == "":
        return container, "rw"
    # The mounts keep the source container's propagation and were filled once already: no such words here.
    if not modes.valid_mode(mode) or modes.propagation(mode) or modes.copy_mode(mode) is not None:
        raise InvalidParameter(f"invalid mode: {mode}")
    return container, mode


def _bind(source: str, destination: str, mode: str) -> MountSpec:
    if modes.copy_mode(mode) is not None:
        raise config_error(BIND, "field VolumeOptions must not be specified")
    return MountSpec(
        type=BIND,
        source=check_bind_path(source),
        destination=destination,
        rw=modes.read_write(mode),
        mode=mode,
        propagation=modes.propagation(mode) or modes.DEFAULT_PROPAGATION,
        create_source=True,
    )


def _volume(name: str, destination: str, mode: str) -> MountSpec:
    if modes.propagation(mode):
        raise config_error(VOLUME, "field BindOptions must not be specified")
    return MountSpec(
        type=VOLUME,
        source=name,
        destination=destination,
        rw=modes.read_write(mode),
        mode=mode or "z",  # Docker's setBindModeIfNull for local volumes
        copy_data=modes.copy_mode(mode) is not False,
    )


def _invalid_spec(raw: str) -> InvalidParameter:
    return InvalidParameter(f"invalid volume specification: '{raw}'")
