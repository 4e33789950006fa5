"""Emptying and removing a cgroup tree; shared by the v1 and v2 managers."""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

from runtime.cgroups.cgroupfile import wait_until
from runtime.errors import HostError


def pids_under(directory: Path) -> list[int]:
    """Every pid in the group and its sub-groups (a container may nest cgroups of its own)."""
    pids: list[int] = []
    for root, _dirs, _files in os.walk(directory):
        try:
            text = Path(root, "cgroup.procs").read_text()
        except FileNotFoundError:
            continue  # the sub-group went away while we walked: it has no pids to report
        pids.extend(int(token) for token in text.split())
    return pids


def kill_all(pids: list[int]) -> bool:
    """SIGKILL each pid; True if there were any."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue  # exited between listing and signalling: what we wanted
    return bool(pids)


def remove_tree(directory: Path, *, timeout: float) -> None:
    """rmdir the group leaf-first (cgroupfs dirs cannot be unlinked recursively). EBUSY while the last
    tasks finish exiting is retried until the deadline; a missing dir is already removed."""
    if not directory.is_dir():
        return
    subdirs = [Path(root, name) for root, dirs, _ in os.walk(directory, topdown=False) for name in dirs]
    for d in [*subdirs, directory]:
        wait_until(lambda d=d: _rmdir(d), timeout=timeout, what=f"{d} to empty so it can be removed")


def _rmdir(directory: Path) -> bool:
    try:
        directory.rmdir()
    except FileNotFoundError:
        return True
    except OSError as e:
        if e.errno == errno.EBUSY:
            return False
        raise HostError(f"cgroups: cannot remove {directory}: {e.strerror}") from e
    return True
