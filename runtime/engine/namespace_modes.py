"""--pid, --ipc, --uts, --cgroupns and --userns: which of a container's namespaces are its own, the host's, or
another container's, with moby's validation messages (runconfig hostconfig_unix.go) and its errors for joining
a container that does not run or does not share."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.engine.model import RUNNING, Container
from runtime.errors import Conflict, InvalidParameter
from runtime.images.treetar import OwnerMap
from runtime.security.userns import IdMapping
from runtime.shim.isolation import Namespaces
from runtime.shim.spec import Mount

HOST, CONTAINER = "host", "container:"
_VALID = {
    "PidMode": ("PID mode", ("", HOST)),
    "IpcMode": ("IPC mode", ("", "private", "shareable", "none", HOST)),
    "UTSMode": ("UTS mode", ("", HOST)),
    "CgroupnsMode": ("cgroup namespace mode", ("", HOST, "private")),
}
_JOINABLE = ("PidMode", "IpcMode")


@dataclass(frozen=True)
class NamespacePlan:
    namespaces: Namespaces
    cgroup_namespace: bool
    mounts: tuple[Mount, ...]  # /dev/shm shared with the host or another container
    shm_mounted: bool  # False: no /dev/shm of its own (--ipc none), or one bound from elsewhere


def check_modes(
    host_config: Mapping[str, Any], hostname: str, find: Callable[[str], Container], remapped: bool = False
) -> None:
    """At create: each mode is one Docker knows, and a container named in one exists (find raises NotFound);
    with the daemon's --userns-remap (`remapped`), none that a remapped container cannot have."""
    for key, (what, valid) in _VALID.items():
        mode = host_config.get(key) or ""
        if not isinstance(mode, str):
            raise InvalidParameter(f"invalid JSON: HostConfig.{key}: expected a string")
        if key in _JOINABLE and mode.startswith(CONTAINER) and mode[len(CONTAINER) :]:
            find(mode[len(CONTAINER) :])
        elif mode not in valid:
            raise InvalidParameter(f"invalid {what}: {mode}")
    if (host_config.get("UTSMode") or "") == HOST and hostname:
        raise InvalidParameter("conflicting options: hostname and the UTS mode")
    userns = host_config.get("UsernsMode") or ""
    if userns not in ("", HOST):
        raise InvalidParameter(f"invalid USER mode: {userns}")
    if remapped and userns != HOST:
        _check_remappable(host_config)


def _check_remappable(host_config: Mapping[str, Any]) -> None:
    """moby's verifyPlatformContainerSettings: what only --userns=host may have under --userns-remap."""
    if host_config.get("Privileged"):
        raise InvalidParameter(
            "privileged mode is incompatible with user namespaces.  You must run the container in the host "
            "namespace when running privileged mode"
        )
    if host_config.get("NetworkMode") == HOST:
        raise InvalidParameter("cannot share the host's network namespace when user namespaces are enabled")
    if host_config.get("PidMode") == HOST:
        raise InvalidParameter("cannot share the host PID namespace when user namespaces are enabled")


def remapping_of(host_config: Mapping[str, Any], remap: IdMapping | None) -> IdMapping | None:
    """A container's id mapping: the daemon's (--userns-remap), unless it opted out with --userns=host."""
    if remap is None or (host_config.get("UsernsMode") or "") == HOST:
        return None
    return remap


def owners_seen_by(host_config: Mapping[str, Any], remap: IdMapping | None) -> OwnerMap | None:
    """The owners a container sees for its files' host ids: a remapped container's are in its range on disk
    (its upper layer) or through the idmapped mounts of its layers, and it sees them shifted back."""
    remapping = remapping_of(host_config, remap)
    return remapping.container_ids if remapping else None


def _donor(mode: str, what: str, find: Callable[[str], Container], me: Container) -> Container:
    donor = find(mode[len(CONTAINER) :])
    if donor.id == me.id:
        raise InvalidParameter(f"cannot join own {what} namespace")
    if donor.state.status != RUNNING:
        raise Conflict(f"cannot join {what} of a non running container: {donor.id}")
    return donor


def plan_namespaces(
    container: Container, find: Callable[[str], Container], cgroup_v2: bool, shared_shm: Callable[[str], str]
) -> NamespacePlan:
    """At start: the shim's namespace modes, joined containers resolved to their namespace files. A shareable
    container's /dev/shm is a tmpfs on the host (`shared_shm(id)`, as Docker's ShmPath), so that a container
    joining its IPC namespace can bind the same one: a mount of another mount namespace cannot be bound."""
    hc = container.host_config
    pid, ipc = hc.get("PidMode") or "", hc.get("IpcMode") or ""
    mounts: list[Mount] = []
    pid_ns = pid
    if pid.startswith(CONTAINER):
        pid_ns = f"/proc/{_donor(pid, 'PID', find, container).state.pid}/ns/pid"
    ipc_ns = "" if ipc in ("", "private", "shareable", "none") else ipc
    if ipc == HOST:
        mounts.append(Mount("/dev/shm", "/dev/shm"))
    elif ipc == "shareable":
        mounts.append(Mount(shared_shm(container.id), "/dev/shm"))
    elif ipc.startswith(CONTAINER):
        donor = _donor(ipc, "IPC", find, container)
        if (donor.host_config.get("IpcMode") or "") not in ("shareable", HOST):
            raise Conflict("non-shareable IPC (hint: use IpcMode:shareable for the donor container)")
        ipc_ns = f"/proc/{donor.state.pid}/ns/ipc"
        mounts.append(Mount(shared_shm(donor.id), "/dev/shm"))
    cgroupns = hc.get("CgroupnsMode") or ""
    return NamespacePlan(
        Namespaces(pid=pid_ns, ipc=ipc_ns, uts=hc.get("UTSMode") or ""),
        cgroup_namespace=cgroupns == "private" or (cgroupns == "" and cgroup_v2),
        mounts=tuple(mounts),
        shm_mounted=ipc in ("", "private"),
    )
