"""The build context: the tar the client sends (plain or compressed), kept as one spooled file with an index of
its members, never unpacked into a directory. Each file is hashed once, as it streams in, for the cache's
COPY checksums; a COPY that misses reads the file's bytes from the spool at its offset. Writing and deleting
thousands of small files cost more than the whole rest of a cached build; one spool file costs one write.

The members get the layer extractor's checks (no absolute names, no `..`, nothing below a symlink or a
file); symlinks are resolved inside the context. The .dockerignore is read, the Dockerfile found.
Removed with the build.
"""

import hashlib
import os
import posixpath
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from runtime.errors import HostError, InsufficientStorage, InvalidParameter
from runtime.images.builder.dockerignore import IgnoreRules
from runtime.images.builder.tarsum import SumHeader, started_sum
from runtime.images.builder.trees import SymlinkLoop, TreeEntry, resolve_inside
from runtime.images.compression import CORRUPT_DATA_ERRORS, open_decompressed
from runtime.images.layers import STREAM_BUFFER
from runtime.images.memberpaths import check_symlink_target, normalise_member_name, refuse
from runtime.images.readers import CountingReader, Readable

WHAT = "build context"
_CHUNK = 1 << 20
_ROOT = TreeEntry(stat.S_IFDIR | 0o755, 0, 0, 0, 0)
_XATTR = "SCHILY.xattr."


@dataclass(frozen=True, slots=True)
class _Member:
    entry: TreeEntry
    offset: int = 0  # where a regular file's bytes start in the spool


class _Tee:
    """Reads `source` and writes every byte it hands out to `spool` too."""

    def __init__(self, source: Readable, spool: BinaryIO) -> None:
        self._source = source
        self._spool = spool

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._spool.write(data)
        return data


class _SpoolSlice:
    """A regular file's bytes in the spool, read with pread (several readers may share the descriptor)."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self._fd = fd
        self._offset = offset
        self._left = size

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        data = os.pread(self._fd, wanted, self._offset) if wanted else b""
        self._offset += len(data)
        self._left -= len(data)
        return data

    def close(self) -> None:
        return None

    def __enter__(self) -> "_SpoolSlice":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ContextTree:
    """The context as a SourceTree: an index of the spooled tar's members."""

    name = "build context"

    def __init__(self, spool: Path) -> None:
        self._spool = spool
        self._fd = os.open(spool, os.O_RDONLY | os.O_CLOEXEC)
        self._members: dict[str, _Member] = {"": _Member(_ROOT)}
        self._sums: dict[str, str] = {}  # Docker's tarsum of each member, as it arrived (tarsum.py)
        self._children: dict[str, set[str]] = {"": set()}

    def entry(self, relative: str) -> TreeEntry | None:
        member = self._members.get(relative)
        return member.entry if member is not None else None

    def children(self, relative: str) -> list[str]:
        return sorted(self._children.get(relative, ()))

    def open(self, relative: str) -> BinaryIO:
        member = self._members[relative]
        return _SpoolSlice(self._fd, member.offset, member.entry.size)  # type: ignore[return-value]

    def entry_sum(self, relative: str) -> str | None:
        """The member's tarsum; a path the tar did not hold counts as the path itself, as moby's archive
        context answers (its "backwards compat")."""
        return self._sums.get(relative, relative)

    def close(self) -> None:
        os.close(self._fd)
        self._spool.unlink(missing_ok=True)

    def add(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        """Index one member as it streams past (its bytes are hashed now, and reach the spool through the tee)."""
        relative = normalise_member_name(WHAT, member.name)
        parent, _, base = relative.rpartition("/")
        self._ensure_parents(member.name, parent)
        if not relative:
            return  # the root's own entry: it stays the directory every context has
        entry = TreeEntry(
            _kind(member) | (member.mode & 0o7777),
            member.uid,
            member.gid,
            member.size if member.isreg() else 0,
            int(round(member.mtime * 1_000_000_000)),
            member.linkname if member.issym() else "",
            os.makedev(member.devmajor, member.devminor) if member.ischr() or member.isblk() else 0,
        )
        if member.issym():
            check_symlink_target(WHAT, member.name, relative, member.linkname)
            indexed = _Member(entry)
        elif member.islnk():
            target = self._members.get(normalise_member_name(WHAT, member.linkname))
            if target is None or not target.entry.is_regular:
                raise refuse(WHAT, member.name, f"hard link target {member.linkname!r} is not a file of the context")
            indexed = target  # the same file: its bytes, its metadata
        elif member.isreg():
            indexed = _Member(entry, member.offset_data)
        else:
            indexed = _Member(entry)
        digest = started_sum(_sum_header(member))
        if member.isreg():
            _hash_into(digest, tar.extractfile(member))  # type: ignore[arg-type]
        self._sums.setdefault(relative, digest.hexdigest())  # moby's GetFile finds a name's first member
        self._put(relative, parent, base, indexed)

    def _ensure_parents(self, name: str, parent: str) -> None:
        walked = ""
        for component in parent.split("/") if parent else ():
            above = walked
            walked = f"{walked}/{component}" if walked else component
            found = self._members.get(walked)
            if found is None:
                self._put(walked, above, component, _Member(_ROOT))
            elif found.entry.is_symlink:
                raise refuse(WHAT, name, f"parent {walked!r} is a symlink; writing through it is refused")
            elif not found.entry.is_dir:
                raise refuse(WHAT, name, f"parent {walked!r} is not a directory")

    def discard(self, relative: str) -> None:
        """Leave a path, and whatever is below it, out of the context."""
        if relative not in self._members:
            return
        self._drop_below(relative)
        del self._members[relative]
        parent, _, base = relative.rpartition("/")
        self._children[parent].discard(base)

    def _drop_below(self, relative: str) -> None:
        for path in [p for p in self._members if p.startswith(relative + "/")]:
            del self._members[path]
            self._children.pop(path, None)
        self._children.pop(relative, None)

    def _put(self, relative: str, parent: str, base: str, member: _Member) -> None:
        previous = self._members.get(relative)
        if previous is not None and previous.entry.is_dir and not member.entry.is_dir:
            self._drop_below(relative)
        self._members[relative] = member
        self._children.setdefault(parent, set()).add(base)
        if member.entry.is_dir:
            self._children.setdefault(relative, set())


def _kind(member: tarfile.TarInfo) -> int:
    if member.isdir():
        return stat.S_IFDIR
    if member.issym():
        return stat.S_IFLNK
    if member.isreg() or member.islnk():
        return stat.S_IFREG
    if member.ischr():
        return stat.S_IFCHR
    if member.isblk():
        return stat.S_IFBLK
    if member.isfifo():
        return stat.S_IFIFO
    raise refuse(WHAT, member.name, f"unsupported member type {member.type!r}")


def _sum_header(member: tarfile.TarInfo) -> SumHeader:
    """The member's header as Go's tar reader gives it to tarsum: the raw mode, a directory's name with its
    slash (Python's tarfile strips it), the owner names left out (moby blanks them, for Go 1.10)."""
    xattrs = tuple(
        (key.removeprefix(_XATTR), value) for key, value in member.pax_headers.items() if key.startswith(_XATTR)
    )
    return SumHeader(
        member.name + "/" if member.isdir() else member.name,
        member.mode,
        member.uid,
        member.gid,
        member.size,
        "0" if member.type == tarfile.AREGTYPE else member.type.decode("latin-1"),
        member.linkname,
        devmajor=member.devmajor,
        devminor=member.devminor,
        xattrs=xattrs,
    )


def _hash_into(digest: "hashlib._Hash", content: BinaryIO) -> None:
    while chunk := content.read(_CHUNK):
        digest.update(chunk)


@dataclass
class BuildContext:
    tree: ContextTree
    ignore: IgnoreRules
    size: int  # bytes received

    def take_dockerfile(self, name: str) -> str:
        """The Dockerfile's text; then, as moby's removeDockerfile, the Dockerfile and the .dockerignore leave the
        context if the .dockerignore lists them (the CLI sends them anyway, for the daemon to read)."""
        try:
            relative = resolve_inside(self.tree, name)
        except SymlinkLoop:
            relative = ""
        found = self.tree.entry(relative)
        if found is None or not found.is_regular:
            raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}")
        with self.tree.open(relative) as content:
            text = content.read().decode("utf-8", errors="replace")
        for path in (".dockerignore", posixpath.normpath(name).lstrip("/")):
            if self.ignore.ignored(path):
                self.tree.discard(path)
        return text

    def remove(self) -> None:
        self.tree.close()


def receive_context(stream: Readable, tmp: Path) -> BuildContext:
    fd, spool_name = tempfile.mkstemp(prefix="build-context-", suffix=".tar", dir=tmp)
    spool = Path(spool_name)
    counting = CountingReader(stream, None)
    try:
        tree = ContextTree(spool)
    except BaseException:
        os.close(fd)
        spool.unlink(missing_ok=True)
        raise
    try:
        with os.fdopen(fd, "wb", buffering=_CHUNK) as spool_file:
            _index(counting, spool_file, tree)
        ignore = tree.entry(".dockerignore")
        rules = ""
        if ignore is not None and ignore.is_regular:
            with tree.open(".dockerignore") as content:
                rules = content.read().decode(errors="replace")
        return BuildContext(tree, IgnoreRules(rules), counting.total)
    except BaseException as error:
        tree.close()
        if InsufficientStorage.covers(error):  # a full disk: 507, as every other write's
            raise InsufficientStorage.naming(error, spool) from None
        raise


def _index(counting: CountingReader, spool_file: BinaryIO, tree: ContextTree) -> None:
    member_name = ""
    try:
        tee = _Tee(open_decompressed(counting), spool_file)
        with tarfile.open(fileobj=tee, mode="r|", bufsize=STREAM_BUFFER) as tar:  # type: ignore[call-overload]
            for member in tar:
                member_name = member.name
                tree.add(tar, member)
    except (tarfile.TarError, *CORRUPT_DATA_ERRORS) as error:
        if counting.total == 0:
            raise InvalidParameter(f"images: {WHAT}: archive is empty: expected a tar archive") from None
        where = f" at member {member_name!r}" if member_name else ""
        raise InvalidParameter(f"images: {WHAT}: not a valid tar archive{where}: {error}") from None
    except OSError as error:
        if InsufficientStorage.covers(error):
            raise  # named by receive_context
        raise HostError(f"images: {WHAT}: cannot be spooled: {error.strerror or error}") from error
