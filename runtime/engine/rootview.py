"""A container's filesystem seen from inside it, for `docker cp`, `docker export` and their stat: moby's
containerFSView. A thread of its own leaves the daemon's mount namespace and makes the container's root its
root directory; functions handed to it run there, so every path they touch (`..`, absolute symlinks, symlinks
on the way) is resolved by the kernel inside the container and can never reach the host.

A running (or paused) container's mount namespace is joined (setns) and copied (unshare), and the kernel
filesystems the runtime mounted (/proc, /sys, /dev) are detached from the copy: the view keeps volumes and bind
mounts for cp, or only the root filesystem for export. A stopped container's overlay is mounted in a new
namespace with its volumes and binds. Either namespace belongs to the thread alone: the container never sees
it, and it vanishes when the thread ends, whatever happened (the thread never returns to a pool).
"""

import errno
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from runtime.linux.constants import (
    CLONE_FS,
    CLONE_NEWNS,
    MNT_DETACH,
    MS_BIND,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    MS_SLAVE,
)
from runtime.linux.syscalls import mount, setns, umount2, unshare
from runtime.shim.rootfs import resolve_in_root
from runtime.shim.userns import idmapped_layers, spawn_user_namespace

T = TypeVar("T")
RUNTIME_MOUNTS = ("/proc", "/sys", "/dev")  # what the runtime mounts in every container: not its files
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Bind:
    source: str  # host path
    destination: str  # path in the container
    readonly: bool


@dataclass(frozen=True, slots=True)
class LiveRoot:
    """A container with a process: its mount namespace is joined through its init's pid."""

    pid: int
    with_mounts: bool  # volumes and binds stay in the view (cp); False leaves only the root filesystem (export)


@dataclass(frozen=True, slots=True)
class StoppedRoot:
    """A container without a process: its overlay (and for cp its binds) mounted in the view's namespace.
    A running container's layers are mounted read-only, its upper directory the top lower one: its own overlay
    writes there (a remapped container's namespace cannot serve: its mounts cannot be detached from a copy
    made by another user namespace's root, which locks them together)."""

    lowerdirs: tuple[str, ...]  # the image's, top first, as overlayfs takes them
    upperdir: str
    workdir: str
    merged: str  # an empty host directory to mount on (only the view's namespace sees the mount)
    binds: tuple[Bind, ...]
    # --userns-remap: the container's uid_map and gid_map; its layers are idmapped through them as a start
    # mounts them, so the view shows every file with the host ids the running container's files have
    id_mapping: dict[str, list[list[int]]] | None = None
    read_only: bool = False


class RootView:
    """Runs functions with "/" being a container's root, one at a time, on the view's own thread."""

    def __init__(self, root: LiveRoot | StoppedRoot, name: str) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        entered: Future = Future()
        self._thread = threading.Thread(target=self._serve, args=(root, entered), name=name, daemon=True)
        self._thread.start()
        entered.result()  # the namespace set-up's error, if any, is raised here

    def run(self, fn: Callable[[], T]) -> T:
        """`fn()` inside the container's root; its result or its exception."""
        done: Future = Future()
        self._tasks.put((fn, done))
        return done.result()

    def stream(self, write: Callable[[BinaryIO], None]) -> Iterator[bytes]:
        """The bytes `write(file)` writes inside the root, as they come. Its error, if any, is raised at the end;
        a consumer that stops early ends the writer with a broken pipe."""
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)

        def produce() -> None:
            with os.fdopen(write_fd, "wb", buffering=_CHUNK) as out:
                write(out)

        done: Future = Future()
        self._tasks.put((produce, done))
        with os.fdopen(read_fd, "rb", buffering=0) as source:
            while chunk := source.read(_CHUNK):
                yield chunk
        done.result()

    def close(self) -> None:
        """End the thread, and with it the namespace and the mounts made for the view."""
        self._tasks.put(None)
        self._thread.join()

    def _serve(self, root: LiveRoot | StoppedRoot, entered: Future) -> None:
        try:
            _enter(root)
        except BaseException as error:  # noqa: BLE001 - raised by the constructor, in the caller's thread
            entered.set_exception(error)
            return
        entered.set_result(None)
        while (task := self._tasks.get()) is not None:
            fn, done = task
            try:
                done.set_result(fn())
            except BaseException as error:  # noqa: BLE001 - raised by run() or stream(), in the caller's thread
                done.set_exception(error)


def _enter(root: LiveRoot | StoppedRoot) -> None:
    if isinstance(root, LiveRoot):
        _enter_live(root)
    else:
        _enter_stopped(root)
    os.chdir("/")


def _enter_live(root: LiveRoot) -> None:
    # Read while the host's /proc is still ours: inside, /proc is the container's and does not list this thread.
    with open(f"/proc/{root.pid}/mountinfo") as f:
        mount_points = [line.split()[4] for line in f]
    namespace = os.open(f"/proc/{root.pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    try:
        unshare(CLONE_FS)  # setns into a mount namespace refuses a caller sharing its root with other threads
        setns(namespace, CLONE_NEWNS)  # also makes the namespace's root (the container's) this thread's root
    finally:
        os.close(namespace)
    unshare(CLONE_NEWNS)  # a copy of the container's mounts, so detaching some never reaches the container
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    for point in sorted(mount_points, key=len, reverse=True):
        if point != "/" and (not root.with_mounts or _under_runtime_mount(point)):
            _detach(point)
    for top in RUNTIME_MOUNTS:
        if os.path.ismount(top):  # locked in: a remapped container's namespace, copied by the host's root
            _cover(top)


def _under_runtime_mount(point: str) -> bool:
    return any(point == top or point.startswith(top + "/") for top in RUNTIME_MOUNTS)


def _cover(point: str) -> None:
    """An empty read-only directory over a mount that cannot be detached, its mode kept, owned as "/" is (the
    container's root: a remapped one's on the host), as the directory under it would show."""
    mode, root = os.stat(point).st_mode & 0o7777, os.stat("/")
    mount("tmpfs", point, "tmpfs", MS_RDONLY, f"mode={mode:o},uid={root.st_uid},gid={root.st_gid}")


def _detach(point: str) -> None:
    try:
        umount2(point, MNT_DETACH)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOENT):  # gone with a parent detached before it
            raise


def _enter_stopped(root: StoppedRoot) -> None:
    unshare(CLONE_FS | CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_SLAVE)  # nothing mounted here propagates back to the host
    os.makedirs(root.merged, exist_ok=True)
    lowerdirs = list(root.lowerdirs)
    if root.id_mapping is not None:
        userns = spawn_user_namespace(root.id_mapping)
        try:
            lowerdirs = idmapped_layers(lowerdirs, userns, root.merged + ".layers")
        finally:
            os.close(userns)
    if root.read_only:
        options = f"lowerdir={':'.join([root.upperdir, *lowerdirs])}"
    else:
        options = f"lowerdir={':'.join(lowerdirs)},upperdir={root.upperdir},workdir={root.workdir}"
    mount("overlay", root.merged, "overlay", 0, options)
    for bind in root.binds:
        target = _mount_point(root.merged, bind)
        mount(bind.source, target, None, MS_BIND | MS_REC)
        if bind.readonly:
            mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    os.chroot(root.merged)


def _mount_point(merged: str, bind: Bind) -> str:
    """The bind's target inside the root, symlinks resolved inside it, made as a start would make it."""
    target = resolve_in_root(merged, bind.destination)
    if os.path.isdir(bind.source):
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
    return target
