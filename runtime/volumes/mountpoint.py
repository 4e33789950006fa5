"""What a container mounts: one entry of its mount list (runtime.api.shapes.volumes renders inspect's "Mounts")."""

from dataclasses import dataclass

BIND = "bind"
VOLUME = "volume"
TMPFS = "tmpfs"


@dataclass(frozen=True)
class MountPoint:
    type: str  # BIND | VOLUME | TMPFS
    source: str  # host path: the bind source or the volume's _data directory ("" for tmpfs)
    destination: str  # absolute and clean, inside the container
    mode: str  # as Docker shows it: the -v mode text, "z" for a named local volume, "" otherwise
    rw: bool
    name: str = ""  # the volume's name for VOLUME
    driver: str = ""  # "local" for VOLUME
    propagation: str = ""  # "rprivate" (or the asked one) for BIND, "" otherwise as Docker shows it
    tmpfs_options: str = ""  # mount data for TMPFS, e.g. "size=64m,mode=1777" ("ro" is in rw)
    create_source: bool = False  # a -v bind: its missing host directory is made at start, as Docker's -v does
