"""The part of a container's spec that loosens or tightens its isolation on request (--privileged, --read-only,
--device, --ulimit, --sysctl, --pid/--ipc/--uts, ...), decided by the daemon (runtime.engine.isolation) and
applied by the container's init, in runc's order."""

import os
import resource
import stat
from dataclasses import dataclass, field

from runtime.linux.constants import MS_BIND, MS_RDONLY, MS_REMOUNT
from runtime.linux.syscalls import mount

DEFAULT_SHM_SIZE = 64 << 20  # Docker's


@dataclass
class Device:
    """A device node to make in the container's /dev (--device, and every host device with --privileged)."""

    path: str  # inside the container
    type: str  # "c" or "b"
    major: int
    minor: int
    mode: int  # permission bits
    uid: int = 0
    gid: int = 0
    source: str = ""  # the host's node, bound where mknod is refused (a remapped container)


@dataclass
class Ulimit:
    name: str  # Docker's: nofile, nproc, core, ...
    soft: int
    hard: int


@dataclass
class Namespaces:
    """For pid, ipc and uts: "" a new namespace, "host" the host's, or a namespace file to join."""

    pid: str = ""
    ipc: str = ""
    uts: str = ""


@dataclass
class Isolation:
    privileged: bool = False  # no masked or read-only paths, /sys writable
    readonly_rootfs: bool = False
    shm_size: int = DEFAULT_SHM_SIZE
    devices: list[Device] = field(default_factory=list)
    ulimits: list[Ulimit] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)
    oom_score_adj: int | None = None
    group_add: list[str] = field(default_factory=list)  # names or gids, looked up in the container
    masked_paths: list[str] | None = None  # None: Docker's lists (runtime.shim.rootfs)
    readonly_paths: list[str] | None = None
    namespaces: Namespaces = field(default_factory=Namespaces)

    @classmethod
    def from_dict(cls, raw: dict) -> "Isolation":
        raw = dict(raw)
        raw["devices"] = [Device(**d) for d in raw.get("devices") or ()]
        raw["ulimits"] = [Ulimit(**u) for u in raw.get("ulimits") or ()]
        raw["namespaces"] = Namespaces(**(raw.get("namespaces") or {}))
        return cls(**raw)


# Docker's ulimit names (go-units ulimit.go) and the kernel's resource numbers (asm-generic/resource.h; Python's
# resource module lacks RLIMIT_LOCKS)
RLIMITS = {
    "cpu": 0,
    "fsize": 1,
    "data": 2,
    "stack": 3,
    "core": 4,
    "rss": 5,
    "nproc": 6,
    "nofile": 7,
    "memlock": 8,
    "as": 9,
    "locks": 10,
    "sigpending": 11,
    "msgqueue": 12,
    "nice": 13,
    "rtprio": 14,
    "rttime": 15,
}


def make_devices(dev: str, devices: list[Device], bind: bool) -> None:
    """mknod each device under the container's /dev (a host path before pivot_root), with its owner and mode;
    with `bind` (in a user namespace, where mknod is refused) the host's node is bound instead, as runc does."""
    for d in devices:
        target = os.path.join(dev, d.path.removeprefix("/dev/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.lexists(target):
            os.unlink(target)
        if bind:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))
            mount(d.source, target, None, MS_BIND)
            continue
        kind = stat.S_IFCHR if d.type == "c" else stat.S_IFBLK
        os.mknod(target, kind | d.mode, os.makedev(d.major, d.minor))
        os.chown(target, d.uid, d.gid)
        os.chmod(target, d.mode)  # mknod's mode went through the umask


def write_sysctls(sysctls: dict[str, str]) -> None:
    """After pivot_root, before /proc/sys is made read-only: the values land in the container's namespaces."""
    for key, value in sysctls.items():
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(value)


def make_root_read_only() -> None:
    """--read-only: the root mount only; /dev, /dev/shm, volumes and tmpfs mounts keep their own flags."""
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def apply_process_limits(isolation: Isolation) -> None:
    """oom_score_adj and rlimits, while the init still holds its capabilities."""
    if isolation.oom_score_adj is not None:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(str(isolation.oom_score_adj))
    for limit in isolation.ulimits:
        resource.setrlimit(RLIMITS[limit.name], (limit.soft, limit.hard))  # -1: RLIM_INFINITY
