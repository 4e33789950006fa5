"""A file system filled to its last byte, as a flooding container or a runaway log leaves a real disk: every
write that needs a new block then fails with ENOSPC, until the filler is deleted."""

import errno
import os
from pathlib import Path

FILLER = ".disk-filler"


def fill(directory: Path, name: str = FILLER) -> Path:
    """Write `directory/name` until the file system refuses even one byte; return its path (unlink it to free)."""
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        chunk = 1 << 20
        while chunk:
            try:
                os.write(fd, b"\0" * chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                chunk //= 2  # the last blocks are taken by ever smaller writes
    except BaseException:
        os.close(fd)
        path.unlink()
        raise
    os.close(fd)
    return path


def free_bytes(directory: Path) -> int:
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize
