"""The local driver's mount options, as Docker's (moby volume/local): `type`, `o` and `device` make a volume a
mount of something else (an NFS export, a tmpfs, a bind of a host directory, a block device), mounted on its
_data directory when a container first uses it and unmounted when the last one stops.

    docker volume create --opt type=nfs --opt o=addr=10.0.0.5,rw --opt device=:/export nfsvol
    docker volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=64m scratch
    docker volume create --opt type=none --opt o=bind --opt device=/srv/data data

The options are checked once, at create; `o`'s flag words become mount(2) flags (as moby/sys/mount parses
them) and the rest its data.
"""

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import HostError, InvalidParameter
from runtime.linux.constants import (
    MNT_DETACH,
    MS_BIND,
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_RDONLY,
    MS_REC,
    MS_RELATIME,
    MS_STRICTATIME,
)
from runtime.linux.syscalls import mount, umount2

KNOWN = frozenset({"type", "o", "device"})
# moby/sys/mount flags.go: the words of `o` that are flags, not data (a word "x" clears what "nox" sets)
_SET = {
    "ro": MS_RDONLY,
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
    "strictatime": MS_STRICTATIME,
    "bind": MS_BIND,
    "rbind": MS_BIND | MS_REC,
}
_CLEAR = {"rw": MS_RDONLY, "suid": MS_NOSUID, "dev": MS_NODEV, "exec": MS_NOEXEC, "atime": MS_NOATIME}


@dataclass(frozen=True, slots=True)
class MountOptions:
    type: str
    options: str
    device: str

    @property
    def flags_and_data(self) -> tuple[int, str]:
        flags, data = 0, []
        for word in filter(None, self.options.split(",")):
            if word in _SET:
                flags |= _SET[word]
            elif word in _CLEAR:
                flags &= ~_CLEAR[word]
            else:
                data.append(_resolved(word) if self.type == "nfs" else word)
        return flags, ",".join(data)


def _resolved(word: str) -> str:
    """NFS's addr= must be an address (the kernel does not resolve names); Docker resolves it, so do we."""
    key, _, value = word.partition("=")
    if key != "addr":
        return word
    try:
        ipaddress.ip_address(value)
        return word
    except ValueError:
        try:
            return f"addr={socket.gethostbyname(value)}"
        except OSError as exc:
            raise HostError(f"local volume: addr={value}: cannot resolve: {exc}") from exc


def parse_mount_options(name: str, opts: Mapping[str, str] | None) -> MountOptions | None:
    """The volume's mount, or None for a plain directory; InvalidParameter with Docker's texts."""
    for key in opts or {}:
        if key == "size":
            raise InvalidParameter(f'create {name}: volume option "size" is not supported by porthole: no quota')
        if key not in KNOWN:
            raise InvalidParameter(f'create {name}: invalid option: "{key}"')
    if not opts:
        return None
    kind, device = opts.get("type", ""), opts.get("device", "")
    if not kind and not device:
        raise InvalidParameter(f'create {name}: option "o" needs "type" and "device" (what to mount)')
    if not device:
        raise InvalidParameter(f'create {name}: missing required option: "device"')
    parsed = MountOptions(kind, opts.get("o", ""), device)
    flags, _ = parsed.flags_and_data
    if kind in ("", "none") and not flags & MS_BIND:
        raise InvalidParameter(f'create {name}: type "{kind or "none"}" needs o=bind (or rbind) to bind a directory')
    if flags & MS_BIND and not Path(device).is_absolute():
        raise InvalidParameter(f'create {name}: device "{device}": a bind source must be an absolute host path')
    return parsed


def mount_volume(name: str, options: MountOptions, target: Path) -> None:
    flags, data = options.flags_and_data
    try:
        mount(options.device, str(target), None if flags & MS_BIND else options.type, flags, data or None)
    except OSError as exc:
        raise HostError(
            f"local volume {name}: mount {options.type or 'bind'} {options.device} on {target}: {exc.strerror}"
        ) from exc


def is_mounted(target: Path, mountinfo: Path = Path("/proc/self/mountinfo")) -> bool:
    """Whether something is mounted at target (a bind of a directory of the same filesystem included, which
    Path.is_mount, comparing devices, cannot see)."""
    wanted = str(target).replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012")
    return any(line.split(" ", 5)[4] == wanted for line in mountinfo.read_text().splitlines())


def unmount_volume(name: str, target: Path) -> None:
    if not is_mounted(target):
        return
    try:
        umount2(str(target), MNT_DETACH)
    except OSError as exc:
        raise HostError(f"local volume {name}: unmount {target}: {exc.strerror}") from exc
