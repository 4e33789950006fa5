"""Create-request fields that Docker honours and porthole does not yet: refused with a 501 naming the field and
the flag, never accepted and ignored (a --read-only or --cap-drop that silently does nothing is worse than an
error). A field counts as given when its value is not one of the values clients send for "unset"."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.errors import NotImplementedYet

UNSET: tuple[Any, ...] = (None, False, 0, "", [], {})


@dataclass(frozen=True)
class UnsupportedField:
    section: str  # "HostConfig", or "" for the top-level Config
    name: str
    flag: str  # how docker's CLI spells it, for the message
    unset: tuple[Any, ...] = UNSET


UNSUPPORTED = (
    UnsupportedField("", "Domainname", "--domainname"),
    UnsupportedField("HostConfig", "DeviceRequests", "--gpus"),
    UnsupportedField("HostConfig", "MemorySwappiness", "--memory-swappiness", (None, -1)),
    UnsupportedField("HostConfig", "CgroupParent", "--cgroup-parent"),
    UnsupportedField("HostConfig", "BlkioWeightDevice", "--blkio-weight-device"),
    UnsupportedField("HostConfig", "CpuRealtimePeriod", "--cpu-rt-period"),
    UnsupportedField("HostConfig", "CpuRealtimeRuntime", "--cpu-rt-runtime"),
)


def refuse_unsupported(body: Mapping[str, Any]) -> None:
    """Raise NotImplementedYet for the first field of UNSUPPORTED the create body sets."""
    host_config = body.get("HostConfig") or {}
    for field in UNSUPPORTED:
        section = host_config if field.section else body
        if section.get(field.name) not in field.unset:
            where = f"{field.section}." if field.section else ""
            raise NotImplementedYet(f"porthole: {where}{field.name}: {field.flag} is not supported yet")
