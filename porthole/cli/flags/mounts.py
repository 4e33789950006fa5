"""`--mount` (docker cli/opts/mount.go) and `-v` (cli/command/container/opts.go) as the docker CLI sends them:
a `--mount` becomes one HostConfig.Mounts object; a `-v` is a bind or named volume (HostConfig.Binds) or an
anonymous volume (Config.Volumes)."""

import csv
import os
from typing import Any

from porthole.cli.flags.sizes import ram_in_bytes
from porthole.cli.flags.switches import go_bool
from runtime.errors import InvalidParameter

_OPTION_GROUPS = {
    "bind-": ("bind", "BindOptions"),
    "volume-": ("volume", "VolumeOptions"),
    "tmpfs-": ("tmpfs", "TmpfsOptions"),
}


def _go_bool(raw: str, key: str, value: str) -> bool:
    try:
        return go_bool(value)
    except InvalidParameter as e:
        raise InvalidParameter(f"invalid mount {raw!r}: {key}: {e.message}") from None


def _absolute_if_relative(path: str) -> str:
    """`./data` is taken from the current directory, as the docker CLI does; other names are volume names."""
    return os.path.abspath(path) if path.startswith(".") else path


def _set_pair(mapping: dict[str, str], pair: str) -> None:
    key, _, value = pair.partition("=")
    mapping[key] = value


def parse_mount(raw: str) -> dict[str, Any]:
    """`type=bind,source=/a,target=/b,readonly` → {"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": true}.

    The type defaults to volume. Keys: type, source|src, target|destination|dst, readonly|ro, consistency,
    bind-propagation, volume-nocopy, volume-label, volume-driver, volume-opt, tmpfs-size, tmpfs-mode."""
    fields = next(csv.reader([raw]), [])
    mount: dict[str, Any] = {"Type": "volume"}
    options: dict[str, dict[str, Any]] = {}
    for field in fields:
        key, sep, value = field.partition("=")
        key = key.lower()
        group = next((g for prefix, g in _OPTION_GROUPS.items() if key.startswith(prefix)), None)
        if group is not None:
            options.setdefault(group[1], {})
        if not sep:
            if key in ("readonly", "ro"):
                mount["ReadOnly"] = True
            elif key == "volume-nocopy":
                options["VolumeOptions"]["NoCopy"] = True
            else:
                raise InvalidParameter(f"invalid mount {raw!r}: field {field!r} must be a key=value pair")
            continue
        if key == "type":
            mount["Type"] = value.lower()
        elif key in ("source", "src"):
            mount["Source"] = _absolute_if_relative(value)
        elif key in ("target", "dst", "destination"):
            mount["Target"] = value
        elif key in ("readonly", "ro"):
            mount["ReadOnly"] = _go_bool(raw, key, value)
        elif key == "consistency":
            mount["Consistency"] = value.lower()
        elif key == "bind-propagation":
            options["BindOptions"]["Propagation"] = value.lower()
        elif key == "volume-nocopy":
            options["VolumeOptions"]["NoCopy"] = _go_bool(raw, key, value)
        elif key == "volume-label":
            _set_pair(options["VolumeOptions"].setdefault("Labels", {}), value)
        elif key == "volume-driver":
            options["VolumeOptions"].setdefault("DriverConfig", {})["Name"] = value
        elif key == "volume-opt":
            _set_pair(options["VolumeOptions"].setdefault("DriverConfig", {}).setdefault("Options", {}), value)
        elif key == "tmpfs-size":
            try:
                options["TmpfsOptions"]["SizeBytes"] = ram_in_bytes(value)
            except InvalidParameter as e:
                raise InvalidParameter(f"invalid mount {raw!r}: tmpfs-size: {e.message}") from None
        elif key == "tmpfs-mode":
            try:
                options["TmpfsOptions"]["Mode"] = int(value, 8)
            except ValueError:
                raise InvalidParameter(f"invalid mount {raw!r}: tmpfs-mode: {value!r} is not an octal mode") from None
        else:
            raise InvalidParameter(f"invalid mount {raw!r}: unknown key {key!r}")
    if not mount.get("Target"):
        raise InvalidParameter(f"invalid mount {raw!r}: target is required")
    for prefix, (mount_type, options_key) in _OPTION_GROUPS.items():
        if options_key in options and mount["Type"] != mount_type:
            raise InvalidParameter(f"invalid mount {raw!r}: cannot mix '{prefix}*' options with type {mount['Type']!r}")
    mount.update(options)
    return mount


def split_volumes(specs: list[str]) -> tuple[list[str], dict[str, dict]]:
    """`-v` values → (HostConfig.Binds, Config.Volumes): `src:dst[:mode]` binds or names a volume, a lone `/dst`
    is an anonymous volume. A relative host path (`./data`) is made absolute, as the docker CLI does."""
    binds: list[str] = []
    anonymous: dict[str, dict] = {}
    for spec in specs:
        if not spec:
            raise InvalidParameter("invalid volume spec '': empty")
        source, sep, rest = spec.partition(":")
        if not sep:
            anonymous[spec] = {}
        else:
            binds.append(f"{_absolute_if_relative(source)}:{rest}")
    return binds, anonymous
