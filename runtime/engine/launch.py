"""What a start needs beyond the container record: its cgroup, its network sandbox, its root filesystem
layout, its /etc files, and the spec the shim runs; and the teardown of all of it after the container exits."""

import dataclasses
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from logdrivers.dropstats import WRITE_FAILURES_FILE
from logdrivers.info import ContainerInfo
from logdrivers.jsonfile.driver import JsonFileDriver
from logdrivers.registry import LogConfig, Registry
from logdrivers.shimwriter import writer_plan
from runtime.cgroups import CgroupManager, Resources, detect_mode, open_manager
from runtime.engine.config import DaemonConfig
from runtime.engine.isolation import IsolationPlan
from runtime.engine.logconfig import log_config_of
from runtime.engine.model import Container
from runtime.engine.namespace_modes import remapping_of
from runtime.engine.tmpfs import tmpfs_mount
from runtime.network import Sandbox
from runtime.security import SecurityPolicy
from runtime.security.userns import IdMapping
from runtime.shim.spec import ContainerSpec, Mount, Process, Rootfs

SPEC_FILE = "spec.json"
EXIT_FILE = "exit.json"
STDIN_FIFO = "stdin"
ATTACH_LOG = "attach-json.log"
# --log-driver none keeps no log, yet Docker still shows the output to `run` and attach (only `logs` is refused).
# Attach reads output from a log, so the shim of a none container writes this small one under the exec root,
# read by attach only: 2 x 1 MiB at most, json-file.
ATTACH_LOG_OPTIONS = {"max-size": "1m", "max-file": "2", "compress": "false"}
SECCOMP_FILE = "seccomp.bpf"


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
    def attach_log_path(self) -> Path:
        """The output kept for attach alone, for a container whose log driver keeps none."""
        return self.exec_dir / ATTACH_LOG

    @property
    def seccomp_path(self) -> Path:
        """The container's compiled seccomp program, loaded by its init and by each exec in it."""
        return self.exec_dir / SECCOMP_FILE

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


def is_cgroup_v2(config: DaemonConfig) -> bool:
    """Docker gives containers a private cgroup namespace by default on v2 hosts only."""
    return detect_mode(config.cgroup_root) == "v2"


def prepare_cgroup(config: DaemonConfig, container_id: str, resources: Resources) -> tuple[CgroupManager, list[str]]:
    cgroup = cgroup_for(config, container_id)
    cgroup.create()
    try:
        warnings = cgroup.set(resources)
    except BaseException:
        cgroup.destroy()
        raise
    return cgroup, warnings


def resource_warnings(config: DaemonConfig, container_id: str, host_config: dict) -> list[str]:
    """Docker's warnings for the limits this host cannot apply, as create returns them: learnt by applying the
    limits to the container's group, made and removed again (a start makes it anew)."""
    resources = Resources.from_host_config(host_config)
    if resources == Resources():
        return []
    cgroup, warnings = prepare_cgroup(config, container_id, resources)
    cgroup.destroy()
    return warnings


def _make_missing_sources(container: Container) -> None:
    """Docker's -v makes a missing bind source a directory (root's, 0755) at start; --mount refuses it at create."""
    for m in container.mounts:
        if m.get("create_source") and not os.path.lexists(m["source"]):
            os.makedirs(m["source"], mode=0o755, exist_ok=True)


def _mount_of(m: dict) -> Mount:
    if m["type"] != "tmpfs":
        return Mount(m["source"], m["destination"], readonly=not m["rw"])
    # --mount type=tmpfs: Docker's defaults (noexec, nosuid, nodev) under its options, merged as --tmpfs's are
    # (moby daemon/oci_linux.go setMounts)
    return tmpfs_mount(m["destination"], m.get("tmpfs_options", "") + ("" if m["rw"] else ",ro"))


def _mounts(container: Container, sandbox: Sandbox) -> list[Mount]:
    _make_missing_sources(container)
    mounts = [_mount_of(m) for m in container.mounts]
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


def give_etc_files(sandbox: Sandbox, remapping: IdMapping | None) -> None:
    """A remapped container's /etc/hosts, /etc/hostname and /etc/resolv.conf belong to its root, as Docker's do:
    programs edit them. Once the network made them."""
    if remapping is not None:
        for path in (sandbox.hostname_path, sandbox.hosts_path, sandbox.resolv_conf_path):
            os.chown(path, *remapping.root)


def build_spec(
    config: DaemonConfig,
    container: Container,
    cgroup: CgroupManager,
    sandbox: Sandbox,
    log_config: LogConfig,
    security: SecurityPolicy,
    isolation: IsolationPlan,
    link_env: list[str] = (),
) -> ContainerSpec:
    """What the shim runs; `link_env` (legacy links' variables) comes before the container's own Env, as in
    moby."""
    layout = Layout(config, container.id)
    writer_info = (attach_log_info if keeps_no_log(container) else log_info)(container, layout)
    confinement = security.confinement(container.host_config)
    seccomp = write_seccomp_program(layout, security.program(confinement))
    fs = layout.directory / "fs"
    make_init_layer(fs / "init")
    # a container of no image (a build step FROM scratch) stands on an empty lower: overlayfs needs one
    layers = [str(fs / "init"), *(list(reversed(container.layers)) or [str(fs / "empty")])]
    for sub in ("upper", "work") if container.layers else ("upper", "work", "empty"):
        (fs / sub).mkdir(parents=True, exist_ok=True)
    merged = layout.exec_dir / "rootfs"
    merged.mkdir(parents=True, exist_ok=True)
    remapping = remapping_of(container.host_config, config.userns_remap)
    if remapping is not None:  # the upper layer's root is the container's /: its root's
        os.chown(fs / "upper", *remapping.root)
    cfg = container.config
    return ContainerSpec(
        id=container.id,
        hostname=cfg.get("Hostname") or container.short_id,
        rootfs=Rootfs(layers, str(fs / "upper"), str(fs / "work"), str(merged)),
        process=Process(
            [*isolation.argv_prefix, *container.argv],
            [*link_env, *(cfg.get("Env") or [])],
            cfg.get("WorkingDir") or "/",
            cfg.get("User") or "",
        ),
        mounts=[*_mounts(container, sandbox), *isolation.mounts],
        netns=str(sandbox.netns_path) if sandbox.netns_path else None,
        cgroup_procs=[str(p) for p in cgroup.procs_files()],
        cgroup_namespace=isolation.cgroup_namespace,
        log_writer={**writer_plan(log_config, writer_info), "failures_path": str(layout.log_failures_path)},
        stdin=str(layout.stdin_path) if cfg.get("OpenStdin") else None,
        # As moby's attach: the client's end of stdin closes a terminal's never (it is not the program's EOF).
        stdin_once=bool(cfg.get("StdinOnce")) and not cfg.get("Tty"),
        terminal=bool(cfg.get("Tty")),
        console_size=container.host_config.get("ConsoleSize") or None,
        capabilities=confinement.capabilities,
        seccomp=seccomp,
        no_new_privileges=confinement.no_new_privileges,
        isolation=isolation.isolation,
        id_mapping=remapping.as_spec() if remapping else None,
    )


# moby daemon/initlayer: what every container's root holds, whatever its image: /.dockerenv (the empty file tools
# test for to know they run in a container) and /etc/mtab -> /proc/mounts. (The other mount points moby's list
# makes are made at start where they are missing, and hidden from diff and commit.)
INIT_LAYER = ((".dockerenv", None), ("etc/mtab", "/proc/mounts"))


def make_init_layer(path: Path) -> None:
    """The container's init layer: a layer of its own above the image's, under its writable one, so that
    `docker diff` and commit leave it out, as Docker's init layer. Made once; a start after a crash completes it."""
    for name, link in INIT_LAYER:
        target = path / name
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        if os.path.lexists(target):
            continue
        if link is not None:
            os.symlink(link, target)
            continue
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o755)
        os.fchmod(fd, 0o755)  # as moby's, whatever the daemon's umask
        os.close(fd)


def write_seccomp_program(layout: Layout, program: bytes | None) -> str | None:
    """The program's file for the container's init and its execs; None (and no file) when unconfined."""
    path = layout.seccomp_path
    if program is None:
        path.unlink(missing_ok=True)
        return None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(program)
    return str(path)


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


def keeps_no_log(container: Container) -> bool:
    return container.host_config["LogConfig"]["Type"] == "none"


def attach_log_info(container: Container, layout: Layout) -> ContainerInfo:
    """The log driver's view of a none container's attach log (ATTACH_LOG)."""
    return dataclasses.replace(log_info(container, layout), log_path=layout.attach_log_path)


def shim_log_config(container: Container, registry: Registry) -> LogConfig:
    """What the container's shim writes with: its log configuration, parsed once (runtime.engine.logconfig),
    or for a none container the small json-file that attach alone reads (as Docker, `run` and `attach` show the
    output of a container that keeps no log)."""
    if keeps_no_log(container):
        return registry.validate(JsonFileDriver.name, ATTACH_LOG_OPTIONS)
    return log_config_of(container, registry)
