"""What the daemon tells a shim to run: the container spec, written as JSON beside the shim's state.

The daemon builds it at start (image layers, mounts, namespaces, cgroup, process, logging) so the shim and the
container's init need no engine state and no imports beyond the shim room and the log driver.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runtime.atomicfile import write_bytes_atomic
from runtime.linux.constants import DEFAULT_CAPABILITY_SET
from runtime.shim.isolation import Isolation

# Written by the daemon to the shim's network gate once the container's network is made (runtime.engine.shims).
NETWORK_READY = b"go"


@dataclass
class Mount:
    source: str  # host path of a bind; unused for tmpfs
    destination: str
    readonly: bool = False
    type: str = "bind"  # bind | tmpfs
    data: str = ""  # tmpfs mount options
    flags: int | None = None  # tmpfs mount flags (--tmpfs); None: nosuid, nodev


@dataclass
class Rootfs:
    lowerdirs: list[str]  # top layer first, as overlayfs wants them
    upperdir: str
    workdir: str
    merged: str


@dataclass
class Process:
    args: list[str]
    env: list[str]
    cwd: str = "/"
    user: str = ""


@dataclass
class ContainerSpec:
    id: str
    hostname: str
    rootfs: Rootfs
    process: Process
    mounts: list[Mount] = field(default_factory=list)
    netns: str | None = None  # a netns file to join; None shares the host's network
    cgroup_procs: list[str] = field(default_factory=list)  # cgroup.procs files the container's init joins
    cgroup_namespace: bool = False
    log_writer: dict = field(default_factory=lambda: {"driver": "none"})  # its plan (logdrivers.shimwriter)
    capabilities: int = DEFAULT_CAPABILITY_SET
    seccomp: str | None = None  # the compiled seccomp program's file; None runs unconfined
    no_new_privileges: bool = False
    isolation: Isolation = field(default_factory=Isolation)
    stdin: str | None = None  # with -i (OpenStdin): the FIFO the daemon writes attached stdin into
    stdin_once: bool = False  # StdinOnce: the first attached writer's end closes the container's stdin
    terminal: bool = False  # -t: the init's stdio is a pseudo-terminal whose master the shim keeps
    console_size: list[int] | None = None  # ConsoleSize, [rows, columns], the terminal's size at start
    id_mapping: dict | None = None  # --userns-remap: uid_map and gid_map of the container's user namespace

    def write(self, path: Path) -> None:
        """0600: the spec holds the container's environment, often its secrets."""
        write_bytes_atomic(path, json.dumps(asdict(self)).encode(), mode=0o600)

    @classmethod
    def read(cls, path: Path) -> "ContainerSpec":
        raw = json.loads(path.read_text())
        raw["rootfs"] = Rootfs(**raw["rootfs"])
        raw["process"] = Process(**raw["process"])
        raw["mounts"] = [Mount(**m) for m in raw["mounts"]]
        raw["isolation"] = Isolation.from_dict(raw.get("isolation") or {})
        return cls(**raw)
