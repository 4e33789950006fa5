"""The container's filesystem, set up by its init inside its new mount namespace, in runc's order:
private propagation, overlay root, kernel filesystems, /dev, user mounts, pivot_root, sysctls, masked and
read-only paths (none when privileged), the read-only root (--read-only). /sys/fs/cgroup: runtime.shim.cgroupfs.
Everything mounted here lives in the container's mount namespace and vanishes with it: nothing reaches the host.
"""

import errno
import os
import stat

from runtime.linux.constants import (
    AT_RECURSIVE,
    CLONE_NEWNS,
    MNT_DETACH,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    MS_STRICTATIME,
    OPEN_TREE_CLONE,
)
from runtime.linux.syscalls import mount, move_mount, open_tree, pivot_root, umount2, unshare
from runtime.shim.cgroupfs import cgroup_mounts, mount_cgroupfs
from runtime.shim.isolation import Isolation, make_devices, make_root_read_only, write_sysctls
from runtime.shim.spec import ContainerSpec, Mount, Rootfs
from runtime.shim.userns import idmapped_layers, remount_here_unlocked

# moby oci/defaults.go
MASKED_PATHS = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

_DEVICES = (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0))
_DEV_LINKS = (
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
    ("core", "/proc/kcore"),
)


def resolve_in_root(root: str, path: str) -> str:
    """Host path of `path` inside `root`, following symlinks as the container would see them, so that a
    symlink in the image (e.g. /data -> /etc) can never send a mount outside the root."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            hops += 1
            if hops > 40:
                raise OSError(40, "too many levels of symbolic links", path)
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


def _mkdir_in_root(root: str, path: str) -> str:
    target = resolve_in_root(root, path)
    os.makedirs(target, exist_ok=True)
    return target


def _mount_point_for(root: str, m: Mount, is_dir: bool) -> str:
    target = resolve_in_root(root, m.destination)
    if is_dir:
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
    return target


def _bind(source: str, target: str, readonly: bool) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    if readonly:
        _make_read_only(target)


def _make_read_only(target: str) -> None:
    # A bind ignores flags on the first call; the read-only remount must keep the flags the kernel locked.
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | _locked_flags(target))


def _locked_flags(path: str) -> int:
    st = os.statvfs(path)
    flags = 0
    for vfs, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC)):
        if st.f_flag & vfs:
            flags |= ms
    return flags


def _make_device(dev: str, name: str, major: int, minor: int, bind: bool) -> None:
    """A device node; in a user namespace, where mknod is refused, the host's node bound on a file (as runc)."""
    target = os.path.join(dev, name)
    if bind:
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o666))
        mount(f"/dev/{name}", target, None, MS_BIND)
    else:
        os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(major, minor))


def _setup_dev(root: str, isolation: Isolation, bind_devices: bool) -> None:
    dev = _mkdir_in_root(root, "/dev")
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k")
    old_umask = os.umask(0)
    try:
        for name, major, minor in _DEVICES:
            _make_device(dev, name, major, minor, bind_devices)
        for sub, mode in (("pts", 0o755), ("shm", 0o1777), ("mqueue", 0o755)):
            os.mkdir(os.path.join(dev, sub), mode)
    finally:
        os.umask(old_umask)
    for name, target in _DEV_LINKS:
        os.symlink(target, os.path.join(dev, name))
    mount("devpts", f"{dev}/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5")
    if isolation.shm_size:  # 0: --ipc none, or a /dev/shm shared from the host or another container
        shm_data = f"mode=1777,size={isolation.shm_size // 1024}k"
        mount("shm", f"{dev}/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, shm_data)
    mount("mqueue", f"{dev}/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV)
    make_devices(dev, isolation.devices, bind_devices)


def mount_image(fs: Rootfs, lowerdirs: list[str]) -> None:
    options = f"lowerdir={':'.join(lowerdirs)},upperdir={fs.upperdir},workdir={fs.workdir}"
    mount("overlay", fs.merged, "overlay", 0, options)


def _missing_source(m: Mount) -> FileNotFoundError:
    # checked at create; it may have gone since
    return FileNotFoundError(errno.ENOENT, f"bind source path does not exist: {m.source}", m.destination)


def _bind_from_host(root: str, m: Mount) -> None:
    if not os.path.exists(m.source):
        raise _missing_source(m)
    _bind(m.source, _mount_point_for(root, m, os.path.isdir(m.source)), m.readonly)


def _attach(root: str, m: Mount, fd: int) -> None:
    """A bind of a remapped container: its source, cloned by stage A (detach_bind_sources), attached here."""
    target = _mount_point_for(root, m, stat.S_ISDIR(os.fstat(fd).st_mode))
    move_mount(fd, target)
    os.close(fd)
    if m.readonly:
        _make_read_only(target)


def detach_bind_sources(spec: ContainerSpec) -> list[int]:
    """For a remapped container, with the host's privileges: a detached copy of each bind's source, in the
    spec's order, that its init attaches (the source may lie where the remapped root cannot go)."""
    fds = []
    for m in spec.mounts:
        if m.type != "tmpfs":
            try:
                fds.append(open_tree(m.source, OPEN_TREE_CLONE | AT_RECURSIVE))
            except FileNotFoundError:
                raise _missing_source(m) from None
    return fds


def premount_remapped(spec: ContainerSpec, userns_fd: int) -> None:
    """For a remapped container, in stage A's own mount namespace and with the host's privileges: the image,
    its layers idmapped through the container's user namespace; the working directory is left at its root."""
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    fs = spec.rootfs
    mount_image(fs, idmapped_layers(fs.lowerdirs, userns_fd, fs.merged + ".layers"))
    os.chdir(fs.merged)


def _mount_sys(root: str, spec: ContainerSpec) -> None:
    """sysfs; a remapped container does not own its network namespace, so the kernel refuses it a sysfs of its
    own, and gets the host's, read-only (as runc does). Then its own cgroups at /sys/fs/cgroup (covering the
    host's hierarchies that come with the host's sysfs)."""
    isolation = spec.isolation
    target = _mkdir_in_root(root, "/sys")
    flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | (0 if isolation.privileged else MS_RDONLY)
    try:
        mount("sysfs", target, "sysfs", flags)
    except PermissionError:
        _bind("/sys", target, readonly=not isolation.privileged)
    mounts = cgroup_mounts(spec.cgroup_procs)
    mount_cgroupfs(os.path.join(target, "fs/cgroup"), mounts, writable=isolation.privileged)


def prepare_rootfs(spec: ContainerSpec, bind_sources: list[int]) -> None:
    """Mount everything under the container's root and pivot into it. Runs in the container's init, before
    exec. A remapped container's image is mounted already (premount_remapped), its root the working directory,
    and its binds' sources are `bind_sources` (detach_bind_sources)."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    remapped = spec.id_mapping is not None
    root = "." if remapped else spec.rootfs.merged
    if not remapped:
        mount_image(spec.rootfs, spec.rootfs.lowerdirs)
    isolation = spec.isolation
    mount("proc", _mkdir_in_root(root, "/proc"), "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV)
    _mount_sys(root, spec)
    _setup_dev(root, isolation, bind_devices=remapped)
    detached = iter(bind_sources)
    for m in spec.mounts:
        if m.type == "tmpfs":
            target = _mkdir_in_root(root, m.destination)
            flags = MS_NOSUID | MS_NODEV if m.flags is None else m.flags
            mount("tmpfs", target, "tmpfs", flags | (MS_RDONLY if m.readonly else 0), m.data)
        elif remapped:
            _attach(root, m, next(detached))
        else:
            _bind_from_host(root, m)
    if remapped:
        remount_here_unlocked()
    _pivot(root)
    write_sysctls(isolation.sysctls)
    os.makedirs(spec.process.cwd, exist_ok=True)  # before a read-only root forbids it
    if not isolation.privileged:
        _mask_and_protect(isolation.masked_paths, isolation.readonly_paths)
    if isolation.readonly_rootfs:
        make_root_read_only()


def _pivot(root: str) -> None:
    # runc's pivot_root(".", ".") trick: no put_old directory is needed inside the image.
    old_root = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    new_root = os.open(root, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fchdir(new_root)
        pivot_root(".", ".")
        os.fchdir(old_root)
        mount(None, ".", None, MS_REC | MS_PRIVATE)
        umount2(".", MNT_DETACH)
        os.chdir("/")
    finally:
        os.close(old_root)
        os.close(new_root)


def _mask_and_protect(masked: list[str] | None, readonly: list[str] | None) -> None:
    """Docker's lists, or the container's own (HostConfig.MaskedPaths and ReadonlyPaths: the docker CLI sends
    both empty for --security-opt systempaths=unconfined)."""
    for path in MASKED_PATHS if masked is None else masked:
        if not os.path.exists(path):
            continue
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_RDONLY)
        else:
            mount("/dev/null", path, None, MS_BIND)
    for path in READONLY_PATHS if readonly is None else readonly:
        if os.path.exists(path):
            _bind(path, path, readonly=True)
