"""Writing and reading cgroup interface files, and waiting on the kernel, with errors that name the file.

Files are opened without O_CREAT: cgroupfs creates its own files, so a missing one means the controller
is not there (and a fake tree under tmp_path must hold every file the kernel would).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from exporter.readers.samples import ReadError
from runtime.errors import HostError


class CgroupWriteError(HostError):
    """The kernel refused a write; `errno` tells why (EBUSY, EINVAL ...)."""

    def __init__(self, path: Path, value: str, err: OSError):
        super().__init__(f"cgroups: cannot write {value!r} to {path}: {err.strerror}")
        self.errno = err.errno


def write_file(directory: Path, name: str, value: str) -> None:
    path = directory / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
    except OSError as e:
        raise CgroupWriteError(path, value, e) from e
    try:
        os.write(fd, value.encode())
    except OSError as e:
        raise CgroupWriteError(path, value, e) from e
    finally:
        os.close(fd)


def read_file(directory: Path, name: str) -> str:
    path = directory / name
    try:
        return path.read_text()
    except OSError as e:
        raise HostError(f"cgroups: cannot read {path}: {e.strerror}") from e


def read_keyed(directory: Path, name: str) -> dict[str, str]:
    """A flat-keyed file ("key value" lines: cgroup.events, memory.events, memory.oom_control)."""
    out = {}
    for line in read_file(directory, name).splitlines():
        key, _, value = line.partition(" ")
        out[key] = value
    return out


def checked(result: tuple[int, list[ReadError]]) -> int:
    """A reader's value, or HostError naming the first file it could not read."""
    value, errors = result
    if errors:
        raise HostError(f"cgroups: cannot read {errors[0].path}: {errors[0].message}")
    return value


def has_file(directory: Path, name: str) -> bool:
    return (directory / name).exists()


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `condition` (1 ms, doubling to 50 ms) until it holds; HostError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while not condition():
        if time.monotonic() >= deadline:
            raise HostError(f"cgroups: timed out after {timeout:g}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
