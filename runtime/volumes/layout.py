"""Volumes on disk: `<data-root>/volumes/<name>/_data` holds the data, `<name>/volume.json` the metadata.

A volume appears and disappears by one rename, so a crash never leaves half a volume under its name: it is
built in `.creating-<random>` and renamed into place, and removed by renaming it to `.removing-<random>`
before the (possibly long) delete. Leftovers of both are swept at start. (The random part stands alone:
a 255-character volume name must still fit.)
"""

import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common.rfc3339 import format_ns
from runtime.atomicfile import read_json, write_json_atomic
from runtime.errors import HostError, InsufficientStorage

DATA_DIR = "_data"
METADATA_FILE = "volume.json"
_STAGING_PREFIXES = (".creating-", ".removing-")


def prepare(root: Path) -> None:
    """Create the volumes directory and sweep what an interrupted create or remove left behind."""
    root.mkdir(mode=0o701, parents=True, exist_ok=True)
    for entry in root.iterdir():
        if entry.name.startswith(_STAGING_PREFIXES):
            shutil.rmtree(entry)


def load(root: Path) -> Iterator[dict[str, Any]]:
    """The metadata of every volume under `root`. A directory with `_data` but no metadata (made by hand, or
    by an older layout) is a named local volume created when its directory was."""
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not (entry / DATA_DIR).is_dir():
            continue
        meta_path = entry / METADATA_FILE
        if meta_path.exists():
            yield read_json(meta_path)
        else:
            created = format_ns(int(entry.stat().st_ctime) * 1_000_000_000)  # whole seconds, as Docker's
            yield {"Name": entry.name, "CreatedAt": created, "Labels": None, "Options": None}


def create(root: Path, name: str, metadata: dict[str, Any], owner: tuple[int, int] | None = None) -> Path:
    """Make the volume `name` with its metadata; return its data directory, `owner`'s (uid, gid) if given (the
    containers' root under --userns-remap), else root's."""
    staging = root / f".creating-{secrets.token_hex(8)}"
    try:
        staging.mkdir(mode=0o701)
        (staging / DATA_DIR).mkdir()
        os.chmod(staging / DATA_DIR, 0o755)  # not left to the daemon's umask: containers' users must enter
        if owner is not None:
            os.chown(staging / DATA_DIR, *owner)
        write_json_atomic(staging / METADATA_FILE, metadata)
        os.rename(staging, root / name)
        _fsync_dir(root)
    except OSError as err:
        # Best effort: the create already failed, and prepare() sweeps a staging directory left here.
        shutil.rmtree(staging, ignore_errors=True)
        if InsufficientStorage.covers(err):
            raise  # a full disk answers 507 naming the file, as every other write's
        raise HostError(f"volume: create {name}: {err.strerror}: {err.filename}") from err
    return root / name / DATA_DIR


def retire(root: Path, name: str) -> Path:
    """Take the volume `name` out of the namespace at once; return where its contents wait to be deleted."""
    trash = root / f".removing-{secrets.token_hex(8)}"
    try:
        os.rename(root / name, trash)
    except OSError as err:
        raise HostError(f"volume: remove {name}: {err.strerror}: {err.filename}") from err
    return trash


def delete(name: str, trash: Path) -> None:
    """Delete a retired volume's contents (symlinks inside are removed, never followed)."""
    try:
        shutil.rmtree(trash)
    except OSError as err:
        raise HostError(f"volume: remove {name}: {err.strerror}: {err.filename}") from err


def is_empty(directory: Path) -> bool:
    with os.scandir(directory) as entries:
        return next(entries, None) is None


def disk_usage(directory: Path) -> int:
    """Bytes of the files under `directory` (directories not counted, hard links once), as Docker's
    `volume prune` reports space reclaimed."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for parent, dirs, files in os.walk(directory):
        for name in dirs + files:
            st = os.lstat(os.path.join(parent, name))
            if not stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
