"""`HostConfig.Mounts` objects (`--mount`, docker-py's `Mount`), parsed as Docker's Linux parser does (moby
daemon/volume/mounts/linux_parser.go ParseMountSpec), with Docker's error texts.

A JSON null is an absent field (Go's nil pointer). Not served, with a 400 naming the field:
VolumeOptions.Subpath. Accepted and without effect: Consistency, BindOptions.NonRecursive and the other
recursion flags; BindOptions.CreateMountpoint does not create a missing source (the source must exist).
"""

from collections.abc import Mapping
from typing import Any

from runtime.errors import InvalidParameter
from runtime.volumes import modes
from runtime.volumes.mountpoint import BIND, TMPFS, VOLUME
from runtime.volumes.names import validate_volume_name
from runtime.volumes.spec import MountSpec, check_bind_source, check_destination, config_error

_OPTION_FIELDS = {BIND: "BindOptions", VOLUME: "VolumeOptions", TMPFS: "TmpfsOptions"}
_TMPFS_FLAGS = frozenset({"exec", "noexec"})
_SIZE_SUFFIXES = (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10))
_JSON_TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    list: "an array",
    Mapping: "an object",
}


def parse_mount(obj: Mapping[str, Any]) -> MountSpec:
    """One Mounts object as a MountSpec; InvalidParameter naming the field and the reason."""
    if not isinstance(obj, Mapping):
        raise InvalidParameter(f"invalid mount config: a mount must be an object, got {obj!r}")
    mount_type = _field(obj, "Type", str, "")
    destination = check_destination(mount_type, _field(obj, "Target", str, ""))
    if mount_type not in _OPTION_FIELDS:
        raise config_error(mount_type, "mount type unknown")
    for other_type, options_field in _OPTION_FIELDS.items():
        if other_type != mount_type and obj.get(options_field) is not None:
            raise config_error(mount_type, f"field {options_field} must not be specified")
    source = _field(obj, "Source", str, "")
    rw = not _field(obj, "ReadOnly", bool, False)
    if mount_type == BIND:
        return _bind(source, destination, rw, _options(obj, "BindOptions"))
    if mount_type == VOLUME:
        return _volume(source, destination, rw, _options(obj, "VolumeOptions"))
    if source:
        raise config_error(TMPFS, "field Source must not be specified")
    return MountSpec(
        type=TMPFS,
        source="",
        destination=destination,
        rw=rw,
        tmpfs_options=_tmpfs_data(_options(obj, "TmpfsOptions")),
    )


def _bind(source: str, destination: str, rw: bool, options: Mapping[str, Any]) -> MountSpec:
    propagation = _field(options, "Propagation", str, "", "BindOptions.")
    if propagation and propagation not in modes.PROPAGATION_MODES:
        raise config_error(BIND, f"invalid propagation mode: {propagation}")
    return MountSpec(
        type=BIND,
        source=check_bind_source(source),
        destination=destination,
        rw=rw,
        propagation=propagation or modes.DEFAULT_PROPAGATION,
    )


def _volume(name: str, destination: str, rw: bool, options: Mapping[str, Any]) -> MountSpec:
    if _field(options, "Subpath", str, "", "VolumeOptions."):
        raise config_error(VOLUME, "field VolumeOptions.Subpath is not supported by porthole")
    if name:
        validate_volume_name(name)
    driver_config = _field(options, "DriverConfig", Mapping, {}, "VolumeOptions.")
    return MountSpec(
        type=VOLUME,
        source=name,
        destination=destination,
        rw=rw,
        mode="z",  # Docker's setBindModeIfNull for local volumes
        copy_data=not _field(options, "NoCopy", bool, False, "VolumeOptions."),
        driver=_field(driver_config, "Name", str, "", "VolumeOptions.DriverConfig."),
        driver_opts=_string_map(driver_config, "Options", "VolumeOptions.DriverConfig."),
        labels=_string_map(options, "Labels", "VolumeOptions."),
    )


def _tmpfs_data(options: Mapping[str, Any]) -> str:
    """Docker's ConvertTmpfsOptions: mode in octal, size with the largest exact suffix, exec/noexec."""
    data = []
    mode = _field(options, "Mode", int, 0, "TmpfsOptions.")
    if mode:
        data.append(f"mode={mode:o}")
    size = _field(options, "SizeBytes", int, 0, "TmpfsOptions.")
    if size < 0:
        raise config_error(TMPFS, f"field TmpfsOptions.SizeBytes must not be negative, got {size}")
    if size:
        suffix = next(((s, d) for s, d in _SIZE_SUFFIXES if size % d == 0), ("", 1))
        data.append(f"size={size // suffix[1]}{suffix[0]}")
    for option in _field(options, "Options", list, [], "TmpfsOptions."):
        if not isinstance(option, list) or not 1 <= len(option) <= 2:
            raise config_error(TMPFS, "invalid option array length")
        if option[0] not in _TMPFS_FLAGS:
            raise config_error(TMPFS, f"invalid option: {option[0]}")
        data.append("=".join(str(part) for part in option))
    return ",".join(data)


def _options(obj: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return _field(obj, name, Mapping, {})


def _string_map(obj: Mapping[str, Any], key: str, prefix: str) -> dict[str, str] | None:
    value = _field(obj, key, Mapping, None, prefix)
    if value is None:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidParameter(f"invalid mount config: field {prefix}{key} must map strings to strings")
    return dict(value)


def _field(obj: Mapping[str, Any], key: str, kind: type, default: Any, prefix: str = "") -> Any:
    value = obj.get(key)
    if value is None:
        return default
    # JSON true is not a number here, as in Go.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        field, expected = prefix + key, _JSON_TYPE_NAMES[kind]
        raise InvalidParameter(f"invalid mount config: field {field} must be {expected}, got {value!r}")
    return value
