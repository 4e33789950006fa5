"""What a start needs beyond the container record: its cgroup, its network sandbox, its root filesystem
layout, its /etc files, and the spec the shim runs; and the teardown of all of it after the container exits."""

import socket
from dataclasses import dataclass
from pathlib import Path

from logdrivers.dropstats import WRITE_FAILURES_FILE
from logdrivers.errors import LogDriverError
from logdrivers.info import ContainerInfo
from logdrivers.registry import Registry
from logdrivers.shimwriter import writer_plan
from runtime.cgroups import CgroupManager, Resources, detect_mode, open_manager
from runtime.engine.config import DaemonConfig
from runtime.engine.model import Container
from runtime.errors import InvalidParameter
from runtime.network import Sandbox
from runtime.shim.spec import ContainerSpec, Mount, Process, Rootfs

SPEC_FILE = "spec.json"
EXIT_FILE = "exit.json"
STDIN_FIFO = "stdin"


@dataclass
class Layout:
    """Where a container's files live: records and the writable layer under the data root, the spec and the
    shim's files under the exec root (gone at reboot, when no shim can be alive)."""

    config: DaemonConfig
    container_id: str

    @property
    def directory(self) -> Path:
        return self.config.containers_dir / self.container_id

    @property
    def exec_dir(self) -> Path:
        return self.config.exec_dir(self.container_id)

    @property
    def log_path(self) -> Path:
        return self.directory / f"{self.container_id}-json.log"

    @property
    def spec_path(self) -> Path:
        return self.exec_dir / SPEC_FILE

    @property
    def exit_path(self) -> Path:
        return self.exec_dir / EXIT_FILE

    @property
    def log_failures_path(self) -> Path:
        """Where the shim counts the log lines it could not write: on the exec root, which a full data root
        leaves writable (logdrivers.dropstats)."""
        return self.exec_dir / WRITE_FAILURES_FILE

    @property
    def stdin_path(self) -> Path:
        """The FIFO an attach writes the client's stdin into, for a container made with -i (OpenStdin)."""
        return self.exec_dir / STDIN_FIFO

    def etc_file(self, name: str) -> Path:
        return self.directory / name


def cgroup_for(config: DaemonConfig, container_id: str) -> CgroupManager:
    return open_manager(f"{config.cgroup_parent}/{container_id}", cgroup_root=config.cgroup_root)


def cgroup_namespace_wanted(config: DaemonConfig) -> bool:
    """Docker gives containers a private cgroup namespace on v2 hosts only."""
    return detect_mode(config.cgroup_root) == "v2"


def prepare_cgroup(config: DaemonConfig, container: Container) -> tuple[CgroupManager, list[str]]:
    cgroup = cgroup_for(config, container.id)
    cgroup.create()
    try:
        warnings = cgroup.set(Resources.from_host_config(container.host_config))
    except BaseException:
        cgroup.destroy()
        raise
    return cgroup, warnings


def _mounts(container: Container, sandbox: Sandbox) -> list[Mount]:
    mounts = [
        Mount(
            m["source"],
            m["destination"],
            readonly=not m["rw"],
            type=m["type"] if m["type"] == "tmpfs" else "bind",
            data=m.get("tmpfs_options", ""),
        )
        for m in container.mounts
    ]
    taken = {m.destination for m in mounts}
    etc_files = {
        "/etc/hostname": sandbox.hostname_path,
        "/etc/hosts": sandbox.hosts_path,
        "/etc/resolv.conf": sandbox.resolv_conf_path,
    }
    for destination, source in etc_files.items():
        if destination not in taken:
            mounts.append(Mount(str(source), destination))
    return mounts


def build_spec(
    config: DaemonConfig,
    container: Container,
    cgroup: CgroupManager,
    sandbox: Sandbox,
    log_registry: Registry,
) -> ContainerSpec:
    layout = Layout(config, container.id)
    layers = list(reversed(container.layers))
    fs = layout.directory / "fs"
    for sub in ("upper", "work"):
        (fs / sub).mkdir(parents=True, exist_ok=True)
    merged = layout.exec_dir / "rootfs"
    merged.mkdir(parents=True, exist_ok=True)
    cfg = container.config
    return ContainerSpec(
        id=container.id,
        hostname=cfg.get("Hostname") or container.short_id,
        rootfs=Rootfs(layers, str(fs / "upper"), str(fs / "work"), str(merged)),
        process=Process(
            container.argv, list(cfg.get("Env") or []), cfg.get("WorkingDir") or "/", cfg.get("User") or ""
        ),
        mounts=_mounts(container, sandbox),
        netns=str(sandbox.netns_path) if sandbox.netns_path else None,
        cgroup_procs=[str(p) for p in cgroup.procs_files()],
        cgroup_namespace=cgroup_namespace_wanted(config),
        log_writer=_log_writer_plan(log_registry, container, layout),
        stdin=str(layout.stdin_path) if cfg.get("OpenStdin") else None,
        stdin_once=bool(cfg.get("StdinOnce")),
    )


def log_info(container: Container, layout: Layout) -> ContainerInfo:
    """What the log drivers know of the container (Docker's logger.Info)."""
    return ContainerInfo(
        id=container.id,
        name="/" + container.name,
        image_id=container.image_id,
        image_name=container.image_ref,
        entrypoint=container.path,
        args=tuple(container.args),
        created=container.created,
        log_path=layout.log_path,
        env=tuple(container.config.get("Env") or ()),
        labels=dict(container.config.get("Labels") or {}),
        hostname=socket.gethostname(),
    )


def _log_writer_plan(log_registry: Registry, container: Container, layout: Layout) -> dict:
    log_config = container.host_config["LogConfig"]
    options = log_config.get("Config") or {}
    try:
        plan = writer_plan(log_registry, log_config["Type"], options, log_info(container, layout))
    except LogDriverError as e:  # valid at create, but the daemon's drivers or defaults may have changed since
        raise InvalidParameter(str(e)) from None
    plan["failures_path"] = str(layout.log_failures_path)
    return plan
