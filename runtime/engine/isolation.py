"""The HostConfig options that loosen or tighten a container's isolation (--privileged's devices and paths,
--read-only, --tmpfs, --device, --device-cgroup-rule, --ulimit, --group-add, --sysctl, --shm-size, --init,
--oom-score-adj, --pid/--ipc/--uts/--cgroupns), checked at create with Docker's messages and turned at start
into the shim's Isolation. Capabilities and seccomp are runtime.security's."""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.engine.devices import plan_devices
from runtime.engine.model import Container
from runtime.engine.namespace_modes import HOST, check_modes, plan_namespaces
from runtime.engine.tmpfs import tmpfs_mounts
from runtime.errors import InvalidParameter
from runtime.linux.constants import MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID
from runtime.linux.syscalls import mount, umount2
from runtime.shim.isolation import DEFAULT_SHM_SIZE, RLIMITS, Isolation, Ulimit
from runtime.shim.spec import Mount

INIT_IN_CONTAINER = "/sbin/docker-init"  # where Docker bind-mounts its docker-init (tini)
SHARED_SHM = "shm"  # in the exec dir of a container made with --ipc shareable
ExecDir = Callable[[str], Path]
# runc's validator: the sysctls a container's own namespaces hold (uts: kernel.domainname; ipc: these and
# fs.mqueue.*; net: net.*)
_IPC_SYSCTLS = frozenset(
    {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
     "kernel.shmmni", "kernel.shm_rmid_forced"}
)  # fmt: skip
_SYSCTL_NAME = re.compile(r"^[a-z0-9_]+(\.[a-zA-Z0-9_\-]+)+$")


@dataclass(frozen=True)
class IsolationPlan:
    isolation: Isolation
    mounts: tuple[Mount, ...]  # --tmpfs, --init's binary, /dev/shm shared
    argv_prefix: tuple[str, ...]  # --init: the init runs the command
    cgroup_namespace: bool
    device_rules: tuple[str, ...]  # for the device cgroup


def _ulimits(host_config: Mapping[str, Any]) -> list[Ulimit]:
    limits = []
    ulimits = host_config.get("Ulimits") or []
    if not isinstance(ulimits, list):
        raise InvalidParameter("invalid JSON: HostConfig.Ulimits: expected a list of objects")
    for entry in ulimits:
        if not isinstance(entry, Mapping):
            raise InvalidParameter(f"invalid JSON: HostConfig.Ulimits: expected objects, got {entry!r:.60}")
        name, soft, hard = entry.get("Name"), entry.get("Soft"), entry.get("Hard")
        if not isinstance(name, str) or name not in RLIMITS:
            raise InvalidParameter(f"invalid ulimit type: {name}")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (soft, hard)):
            raise InvalidParameter(f"invalid ulimit {name}: Soft and Hard must be integers")
        soft, hard = (-1 if v < 0 else v for v in (soft, hard))  # Docker's -1: unlimited
        if hard != -1 and (soft == -1 or soft > hard):
            raise InvalidParameter(f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}")
        limits.append(Ulimit(name, soft, hard))
    return limits


def _check_sysctls(host_config: Mapping[str, Any]) -> dict[str, str]:
    sysctls = host_config.get("Sysctls") or {}
    if not isinstance(sysctls, Mapping) or not all(isinstance(v, str) for v in sysctls.values()):
        raise InvalidParameter("invalid JSON: HostConfig.Sysctls: expected an object of strings")
    host_network = (host_config.get("NetworkMode") or "") == HOST
    host_ipc = (host_config.get("IpcMode") or "") == HOST
    for key in sysctls:
        if not _SYSCTL_NAME.match(key):
            raise InvalidParameter(f"sysctl '{key}' is not allowed")
        if key.startswith("net."):
            if host_network:
                raise InvalidParameter(f'sysctl "{key}" not allowed in host network namespace')
        elif key in _IPC_SYSCTLS or key.startswith("fs.mqueue."):
            if host_ipc:
                raise InvalidParameter(f'sysctl "{key}" not allowed in host IPC namespace')
        elif key == "kernel.domainname":
            if (host_config.get("UTSMode") or "") == HOST:
                raise InvalidParameter(f'sysctl "{key}" not allowed in host UTS namespace')
        else:
            raise InvalidParameter(f'sysctl "{key}" is not in a separate kernel namespace')
    return dict(sysctls)


def _int_field(host_config: Mapping[str, Any], key: str) -> int:
    value = host_config.get(key) or 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidParameter(f"invalid JSON: HostConfig.{key}: expected an integer, got {value!r:.60}")
    return value


def _checked(host_config: Mapping[str, Any], init_path: Path) -> Isolation:
    oom = _int_field(host_config, "OomScoreAdj")
    if not -1000 <= oom <= 1000:
        raise InvalidParameter(f"Invalid value {oom}, range for oom score adj is [-1000, 1000]")
    shm = _int_field(host_config, "ShmSize")
    if shm < 0:
        raise InvalidParameter("SHM size can not be less than 0")
    groups = host_config.get("GroupAdd") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise InvalidParameter("invalid JSON: HostConfig.GroupAdd: expected a list of strings")
    paths = {key: host_config.get(key) for key in ("MaskedPaths", "ReadonlyPaths")}
    for key, value in paths.items():
        if value is not None and not (
            isinstance(value, list) and all(isinstance(p, str) and p.startswith("/") for p in value)
        ):
            raise InvalidParameter(f"invalid JSON: HostConfig.{key}: expected a list of absolute paths")
    if host_config.get("Init") and not init_path.is_file():
        raise InvalidParameter(f"porthole: --init: no init binary at {init_path} (Debian's tini package has it)")
    return Isolation(
        privileged=bool(host_config.get("Privileged")),
        readonly_rootfs=bool(host_config.get("ReadonlyRootfs")),
        shm_size=shm or DEFAULT_SHM_SIZE,
        ulimits=_ulimits(host_config),
        sysctls=_check_sysctls(host_config),
        oom_score_adj=oom,  # always written, as runc does: a container does not inherit the daemon's protection
        group_add=list(groups),
        masked_paths=paths["MaskedPaths"],
        readonly_paths=paths["ReadonlyPaths"],
    )


def check_isolation(host_config: Mapping[str, Any], hostname: str, find: Callable[[str], Container],
                    init_path: Path, remapped: bool = False) -> None:  # fmt: skip
    """At create: every option valid, nothing made; `remapped`: the daemon runs with --userns-remap."""
    _checked(host_config, init_path)
    check_modes(host_config, hostname, find, remapped)
    tmpfs_mounts(host_config)
    plan_devices(host_config, with_nodes=False)


def plan_isolation(
    container: Container, find: Callable[[str], Container], init_path: Path, cgroup_v2: bool, exec_dir: ExecDir
) -> IsolationPlan:
    """At start: the shim's Isolation, with joined containers and devices resolved now."""
    hc = container.host_config
    isolation = _checked(hc, init_path)
    namespaces = plan_namespaces(container, find, cgroup_v2, lambda cid: str(exec_dir(cid) / SHARED_SHM))
    devices = plan_devices(hc)
    isolation.namespaces = namespaces.namespaces
    isolation.devices = list(devices.nodes)
    if not namespaces.shm_mounted:
        isolation.shm_size = 0
    mounts = [*tmpfs_mounts(hc), *namespaces.mounts]
    prefix: tuple[str, ...] = ()
    if hc.get("Init"):
        mounts.append(Mount(os.fspath(init_path), INIT_IN_CONTAINER, readonly=True))
        prefix = (INIT_IN_CONTAINER, "--")
    return IsolationPlan(isolation, tuple(mounts), prefix, namespaces.cgroup_namespace, devices.cgroup_rules)


def mount_shared_shm(container: Container, exec_dir: Path) -> None:
    """--ipc shareable: the container's /dev/shm, on the host, for it and the containers joining it."""
    if (container.host_config.get("IpcMode") or "") != "shareable":
        return
    target = exec_dir / SHARED_SHM
    target.mkdir(mode=0o700, exist_ok=True)
    if not os.path.ismount(target):
        size = _int_field(container.host_config, "ShmSize") or DEFAULT_SHM_SIZE
        mount("shm", str(target), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"mode=1777,size={size // 1024}k")


def release_shared_shm(exec_dir: Path) -> None:
    """After the container's exit; containers still joined keep their own reference to the tmpfs."""
    target = exec_dir / SHARED_SHM
    if os.path.ismount(target):
        umount2(str(target), MNT_DETACH)
    if target.is_dir():
        target.rmdir()
