"""State files written atomically: temp file, fsync, rename, fsync of the directory. A crash or a full disk
never leaves a half-written one in place: the old file stays until the new one is whole and on disk."""

import json
import os
from pathlib import Path
from typing import Any


def write_bytes_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Raises OSError (ENOSPC ...) with the old file untouched and no temporary file left behind."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:  # a regular file's write may be short (a nearly full disk): write the rest, or fail
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as e:
        os.close(fd)
        os.unlink(tmp)
        if e.filename is None:  # os.write and os.fsync name no file: the caller's message must say where
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise
    os.close(fd)
    os.rename(tmp, path)
    _fsync_directory(path.parent)  # the rename itself survives a power loss only once the directory is synced


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, obj: Any) -> None:
    write_bytes_atomic(path, json.dumps(obj, indent=1, sort_keys=True).encode())


def read_json(path: Path) -> Any:
    with open(path, "rb") as f:
        return json.load(f)
