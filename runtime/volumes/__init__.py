"""Bind mounts, anonymous and named local volumes: parsing and planning a container's mounts, the volume
store, and the volumes' life with their containers. Importing this package registers and starts nothing."""

from runtime.volumes.binds import parse_bind, parse_volumes_from
from runtime.volumes.lifecycle import Fill, realize, remove_anonymous
from runtime.volumes.mountpoint import BIND, TMPFS, VOLUME, MountPoint
from runtime.volumes.mounts import parse_mount
from runtime.volumes.plan import MountPlan, VolumeRequest, plan_mounts
from runtime.volumes.service import Users, VolumeEvents, VolumeService
from runtime.volumes.volume import PluginView, Volume

__all__ = [
    "BIND",
    "TMPFS",
    "VOLUME",
    "Fill",
    "MountPlan",
    "MountPoint",
    "PluginView",
    "Users",
    "Volume",
    "VolumeEvents",
    "VolumeRequest",
    "VolumeService",
    "parse_bind",
    "parse_mount",
    "parse_volumes_from",
    "plan_mounts",
    "realize",
    "remove_anonymous",
]
