"""One requested mount, parsed from a `HostConfig.Binds` entry or a `HostConfig.Mounts` object, and the
checks both forms share. Texts are Docker's (moby daemon/volume/mounts/linux_parser.go, validate.go).
"""

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from runtime.errors import InvalidParameter


@dataclass(frozen=True)
class MountSpec:
    type: str  # mountpoint.BIND | VOLUME | TMPFS
    source: str  # BIND: the clean host path; VOLUME: the volume's name, "" for a new anonymous one; TMPFS: ""
    destination: str  # absolute and clean
    rw: bool
    mode: str = ""  # the -v mode text, shown by inspect
    propagation: str = ""
    copy_data: bool = True  # fill a new, empty volume from the image ("nocopy" turns it off)
    driver: str = ""  # for a volume: "" or "local"; anything else is refused when planning
    driver_opts: Mapping[str, str] | None = None  # for a volume this mount creates
    labels: Mapping[str, str] | None = None
    tmpfs_options: str = ""
    create_source: bool = False  # BIND from -v: a missing source is made at start (--mount refuses it)


def config_error(mount_type: str, why: str) -> InvalidParameter:
    return InvalidParameter(f'invalid mount config for type "{mount_type}": {why}')


def clean_path(path: str) -> str:
    """Go's path.Clean for an absolute path: posixpath.normpath keeps a leading "//", Go does not."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def absolute_path_error(path: str) -> str:
    return f"invalid mount path: '{path}' mount path must be absolute"


def check_destination(mount_type: str, target: str) -> str:
    """The clean destination, or InvalidParameter: empty, "/" itself, or not absolute."""
    if target == "":
        raise config_error(mount_type, "field Target must not be empty")
    if posixpath.normpath(target) in ("/", "//"):
        raise config_error(mount_type, "invalid specification: destination can't be '/'")
    if not target.startswith("/"):
        raise config_error(mount_type, absolute_path_error(target))
    return clean_path(target)


def check_bind_path(source: str) -> str:
    """The clean host path, or InvalidParameter: empty or relative."""
    if source == "":
        raise config_error("bind", "field Source must not be empty")
    if not source.startswith("/"):
        raise config_error("bind", absolute_path_error(source))
    return clean_path(source)


def check_bind_source(source: str) -> str:
    """The clean host path, or InvalidParameter: empty, relative, or missing on the host."""
    check_bind_path(source)
    try:
        os.stat(source)
    except FileNotFoundError:
        raise config_error("bind", f"bind source path does not exist: {source}") from None
    except OSError as err:
        raise config_error("bind", f"cannot stat bind source path {source}: {err.strerror}") from None
    return clean_path(source)
