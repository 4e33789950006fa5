"""`--tmpfs PATH[:OPTIONS]` (HostConfig.Tmpfs): a tmpfs per path, with Docker's default flags (noexec, nosuid,
nodev) under the user's options, as moby's MergeTmpfsOptions merges them: a later option wins over its opposite."""

from collections.abc import Mapping
from typing import Any

from runtime.errors import InvalidParameter
from runtime.linux.constants import (
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_RDONLY,
    MS_RELATIME,
    MS_STRICTATIME,
)
from runtime.shim.spec import Mount

MS_SYNCHRONOUS = 16
MS_DIRSYNC = 128
# option -> (flag, set it?)
_FLAGS = {
    "ro": (MS_RDONLY, True),
    "rw": (MS_RDONLY, False),
    "noexec": (MS_NOEXEC, True),
    "exec": (MS_NOEXEC, False),
    "nosuid": (MS_NOSUID, True),
    "suid": (MS_NOSUID, False),
    "nodev": (MS_NODEV, True),
    "dev": (MS_NODEV, False),
    "sync": (MS_SYNCHRONOUS, True),
    "async": (MS_SYNCHRONOUS, False),
    "dirsync": (MS_DIRSYNC, True),
    "noatime": (MS_NOATIME, True),
    "atime": (MS_NOATIME, False),
    "nodiratime": (MS_NODIRATIME, True),
    "diratime": (MS_NODIRATIME, False),
    "relatime": (MS_RELATIME, True),
    "norelatime": (MS_RELATIME, False),
    "strictatime": (MS_STRICTATIME, True),
}
_DATA = ("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol")
DEFAULT_FLAGS = MS_NOEXEC | MS_NOSUID | MS_NODEV


def tmpfs_mount(destination: str, options: str) -> Mount:
    if not destination.startswith("/"):
        raise InvalidParameter(
            f"invalid mount config for type \"tmpfs\": invalid mount path: '{destination}' mount path must be absolute"
        )
    flags, data = DEFAULT_FLAGS, []
    for option in filter(None, options.split(",")):
        key = option.partition("=")[0]
        if option in _FLAGS:
            flag, on = _FLAGS[option]
            flags = flags | flag if on else flags & ~flag
        elif key in _DATA and "=" in option:
            data.append(option)
        else:
            raise InvalidParameter(f'porthole: --tmpfs {destination}: unknown option "{option}"')
    return Mount("", destination, readonly=bool(flags & MS_RDONLY), type="tmpfs", data=",".join(data), flags=flags)


def tmpfs_mounts(host_config: Mapping[str, Any]) -> list[Mount]:
    tmpfs = host_config.get("Tmpfs") or {}
    if not isinstance(tmpfs, Mapping) or not all(isinstance(v, str) for v in tmpfs.values()):
        raise InvalidParameter("invalid JSON: HostConfig.Tmpfs: expected an object of strings")
    return [tmpfs_mount(destination, options) for destination, options in tmpfs.items()]
