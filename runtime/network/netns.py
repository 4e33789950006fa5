"""Persistent network namespaces (bind-mounted files, as `ip netns` makes them) and work done inside one.

The daemon is multi-threaded, so nothing here forks: a namespace is made by a throwaway thread that
unshares CLONE_NEWNET (a per-thread attribute) and bind-mounts its own /proc/<pid>/task/<tid>/ns/net, and
work inside a namespace (netlink or DNS sockets) is done by a throwaway thread that setns()es into it. A
socket keeps the namespace it was created in, so the thread may end and the socket serve on.
"""

import errno
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pyroute2 import IPRoute

from runtime.errors import HostError
from runtime.linux.constants import CLONE_NEWNET, MNT_DETACH, MS_BIND
from runtime.linux.syscalls import mount, setns, umount2, unshare

NETLINK_ROUTE = 0

T = TypeVar("T")


def _in_thread(work: Callable[[], T]) -> T:
    """Run work in a fresh thread (whose namespace changes die with it) and return or raise its outcome."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="porthole-netns", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def create_netns(path: Path) -> None:
    """A new network namespace (only a down lo) kept alive by a bind mount at path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444))
    except OSError as exc:
        raise HostError(f"network: netns {path}: cannot create the file: {exc.strerror}") from exc

    def unshare_and_bind() -> None:
        unshare(CLONE_NEWNET)
        mount(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/ns/net", str(path), None, MS_BIND)

    try:
        _in_thread(unshare_and_bind)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise HostError(f"network: netns {path}: cannot create: {exc}") from exc


def remove_netns(path: Path) -> None:
    """Unmount and delete a namespace file; the namespace dies with its last user. Missing is fine."""
    if not path.exists():
        return
    try:
        umount2(str(path), MNT_DETACH)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # EINVAL: not a mount point, a file left half-made by a crash
            raise HostError(f"network: netns {path}: cannot unmount: {exc.strerror}") from exc
    path.unlink(missing_ok=True)


def run_in_netns(path: Path, work: Callable[[], T]) -> T:
    """Run work in a thread that has entered the namespace at path."""

    def enter_and_work() -> T:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            setns(fd, CLONE_NEWNET)
        finally:
            os.close(fd)
        return work()

    try:
        return _in_thread(enter_and_work)
    except FileNotFoundError as exc:
        raise HostError(f"network: netns {path}: does not exist") from exc


def netlink_in(path: Path | None) -> IPRoute:
    """An IPRoute bound to the namespace at path (the host's if None), without pyroute2's forked helper."""
    if path is None:
        return IPRoute()
    sock = run_in_netns(path, lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE))
    return IPRoute(fileno=sock.detach())
