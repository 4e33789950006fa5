"""`docker cp` out of a container and `docker export`: a path's stat and tar, read inside a RootView (so "/" is
the container's root and the kernel keeps every lookup inside it).

Paths follow moby's archive package: the client's path is made absolute with its trailing "/" or "/." kept;
every component but the last is resolved (symlinks followed inside the root); the last is followed only when a
trailing "/" asks for it, so `cp c:/link .` copies the symlink and `cp c:/link/ .` what it points to. Members
are named from the requested path's last element (`/etc` gives `etc/passwd`, `/etc/.` gives `./passwd`, `/`
gives `/bin/sh`), which is what the docker CLI rebases when it writes them out.
"""

import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from runtime.images.treetar import OwnerMap, TreeTarWriter


@dataclass(frozen=True, slots=True)
class PathStat:
    """What `HEAD /containers/{id}/archive` reports of a path (the API renders Go's FileMode and time)."""

    name: str
    size: int
    mode: int  # st_mode
    mtime_ns: int
    link_target: str  # the symlink fully resolved inside the root, "" for anything else


def go_base(path: str) -> str:
    """Go's filepath.Base: the last element after trailing slashes are dropped; "/" for the root."""
    if not path:
        return "."
    stripped = path.rstrip("/")
    return stripped.rpartition("/")[2] if stripped else "/"


def absolute_path(path: str) -> str:
    """moby's PreserveTrailingDotOrSeparator(filepath.Join("/", path), path)."""
    cleaned = posixpath.normpath("/" + path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if go_base(path) == "." and go_base(cleaned) != ".":
        cleaned = cleaned.rstrip("/") + "/."
    if path.endswith("/") and not cleaned.endswith("/"):
        cleaned += "/"
    return cleaned


def stat_path(path: str) -> PathStat:
    """The client's `path` inside the current root; FileNotFoundError when it is absent."""
    absolute = absolute_path(path)
    info = os.lstat(absolute)
    target = os.path.realpath(absolute) if stat.S_ISLNK(info.st_mode) else ""
    return PathStat(go_base(absolute), info.st_size, info.st_mode, info.st_mtime_ns, target)


def _source(path: str) -> tuple[str, str]:
    """The path to read (parents resolved, the last element as asked) and the name its members start with."""
    absolute = absolute_path(path)
    directory, _, last = absolute.rpartition("/")
    resolved = posixpath.normpath(os.path.realpath(directory or "/") + "/" + last)
    prefix = go_base(absolute)
    return resolved, "" if prefix == "/" else prefix


def _entries(top: str, name: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """(member name, path, lstat) below `top`, parents first, names sorted as Go's filepath.WalkDir gives them."""
    pending = [(name, top)]
    while pending:
        member, path = pending.pop()
        info = os.lstat(path)
        yield member, path, info
        if stat.S_ISDIR(info.st_mode):
            children = sorted(os.listdir(path), reverse=True)
            pending.extend((f"{member}/{child}", os.path.join(path, child)) for child in children)


def write_path_archive(path: str, out: BinaryIO, owners: OwnerMap | None = None) -> None:
    """GET /containers/{id}/archive: the tar of `path` (a file, a symlink or a whole tree) on `out`; `owners`:
    the members' owners for their files' (TreeTarWriter)."""
    source, prefix = _source(path)
    writer = TreeTarWriter(out, owners=owners)
    for member, entry_path, info in _entries(source, prefix):
        writer.add(member, entry_path, info)
    writer.close()


def write_root_archive(out: BinaryIO, owners: OwnerMap | None = None) -> None:
    """`docker export`: the whole root, members named without a leading "/" or "./" (`bin/sh`)."""
    writer = TreeTarWriter(out, owners=owners)
    for child in sorted(os.listdir("/")):
        for member, entry_path, info in _entries("/" + child, child):
            writer.add(member, entry_path, info)
    writer.close()
