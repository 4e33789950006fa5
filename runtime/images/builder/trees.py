"""The trees COPY and ADD read from: the build context (a spooled tar and its index, context.py) or an image's
mounted root (COPY --from), behind one small interface, so finding, hashing and copying sources is written once.
Nothing here follows a symlink on the host: entries are looked at with lstat, links resolved inside the tree.
"""

import functools
import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from runtime.images.builder.tarsum import SumHeader, started_sum, typeflag

_HASH_CHUNK = 1 << 20
MAX_SYMLINK_HOPS = 40
_CAPABILITY = "security.capability"


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """What COPY needs of a path, as lstat gives it."""

    mode: int  # st_mode, type bits included
    uid: int
    gid: int
    size: int
    mtime_ns: int
    linkname: str = ""  # a symlink's target
    rdev: int = 0

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_regular(self) -> bool:
        return stat.S_ISREG(self.mode)


class SourceTree(Protocol):
    name: str  # how errors name the tree

    def entry(self, relative: str) -> TreeEntry | None:
        """The entry at `relative` ("" is the root), never followed; None when absent."""

    def children(self, relative: str) -> list[str]:
        """The names in directory `relative`, sorted."""

    def open(self, relative: str) -> BinaryIO:
        """A regular file's content."""

    def entry_sum(self, relative: str) -> str | None:
        """Docker's tarsum of the entry (tarsum.py), None when the tree cannot say."""


class DirectoryTree:
    """A directory on the host (an image's mounted root); every path stays below `root`."""

    def __init__(self, root: Path, name: str = "image") -> None:
        self.root = root
        self.name = name

    def _path(self, relative: str) -> str:
        return os.path.join(self.root, relative) if relative else str(self.root)

    def entry(self, relative: str) -> TreeEntry | None:
        try:
            info = os.lstat(self._path(relative))
        except (FileNotFoundError, NotADirectoryError):
            return None
        link = os.readlink(self._path(relative)) if stat.S_ISLNK(info.st_mode) else ""
        return TreeEntry(info.st_mode, info.st_uid, info.st_gid, info.st_size, info.st_mtime_ns, link, info.st_rdev)

    def children(self, relative: str) -> list[str]:
        return sorted(os.listdir(self._path(relative)))

    def open(self, relative: str) -> BinaryIO:
        return open(self._path(relative), "rb")

    def entry_sum(self, relative: str) -> str | None:
        """As moby's lazy source hashes an image's files for COPY --from: the header its archive package would
        write (owner names looked up on the host, security.capability as the only xattr), then the bytes;
        None for a path that is gone (moby skips it)."""
        found = self.entry(relative)
        if found is None:
            return None
        regular = found.is_regular
        special = stat.S_ISCHR(found.mode) or stat.S_ISBLK(found.mode)
        digest = started_sum(
            SumHeader(
                relative + "/" if found.is_dir else relative,
                found.mode,
                found.uid,
                found.gid,
                found.size if regular else 0,
                typeflag(found.mode),
                found.linkname,
                _owner_name("passwd", found.uid),
                _owner_name("group", found.gid),
                os.major(found.rdev) if special else 0,
                os.minor(found.rdev) if special else 0,
                self._capability(relative),
            )
        )
        if regular and found.size:
            with self.open(relative) as content:
                while chunk := content.read(_HASH_CHUNK):
                    digest.update(chunk)
        return digest.hexdigest()

    def _capability(self, relative: str) -> tuple[tuple[str, str], ...]:
        try:
            value = os.getxattr(self._path(relative), _CAPABILITY, follow_symlinks=False)
        except OSError:
            return ()
        return ((_CAPABILITY, value.decode("utf-8", "surrogateescape")),)


@functools.cache
def _owner_name(database: str, number: int) -> str:
    """The host's name for a uid ("passwd") or gid ("group"), "" when it has none (Go's tar does the same)."""
    try:
        return pwd.getpwuid(number).pw_name if database == "passwd" else grp.getgrgid(number).gr_name
    except KeyError:
        return ""


class SymlinkLoop(Exception):
    """More than MAX_SYMLINK_HOPS links on the way; the caller says what it was resolving."""


def resolve_inside(tree: SourceTree, relative: str) -> str:
    """`relative` with its symlinks resolved inside `tree` (a link to /etc means the tree's etc), never above it."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        found = tree.entry("/".join([*resolved, part]))
        if found is not None and found.is_symlink:
            hops += 1
            if hops > MAX_SYMLINK_HOPS:
                raise SymlinkLoop(relative)
            if found.linkname.startswith("/"):
                resolved = []
            parts = [p for p in found.linkname.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return "/".join(resolved)
