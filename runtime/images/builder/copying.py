"""COPY and ADD into a mounted image root, with the classic builder's rules (moby builder/dockerfile/copy.go):
a directory source copies its contents; a file goes into `dest/` when `dest` ends with `/` or is a directory
already, else it becomes `dest`; several sources need a `dest/`; missing parents are made 0755; everything
copied and every directory made belongs to `--chown` (root by default); modes and mtimes are kept unless
`--chmod` says otherwise. ADD unpacks a local tar (plain, gzip, bzip2, xz, zstd) into `dest`. Every path is
resolved inside the root, so a symlink in the image never sends a write to the host.
"""

import os
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import InvalidParameter
from runtime.images.builder.sources import Source, SourceError, resolve_source
from runtime.images.builder.trees import DirectoryTree, SourceTree, TreeEntry
from runtime.images.compression import CORRUPT_DATA_ERRORS, open_decompressed
from runtime.images.layers import STREAM_BUFFER

_COPY_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Ownership:
    uid: int = 0
    gid: int = 0
    chmod: int | None = None


def _lookup(root: Path, table: str, name: str, what: str) -> int:
    path = root / resolve_source(DirectoryTree(root), f"etc/{table}")
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    kind = "user" if table == "passwd" else "group"
    raise InvalidParameter(
        f"unable to convert uid/gid chown string to host mapping: can't find {what} for {kind} {name}: "
        f"no such {kind}: {name}"
    )


def parse_ownership(root: Path, chown: str | None, chmod: str | None) -> Ownership:
    """`--chown=user[:group]` by name (from the image's /etc/passwd and /etc/group) or number; `--chmod=0755`."""
    uid = gid = 0
    if chown:
        user, _, group = chown.partition(":")
        uid = int(user) if user.isdigit() else _lookup(root, "passwd", user, "uid")
        if group:
            gid = int(group) if group.isdigit() else _lookup(root, "group", group, "gid")
        elif user.isdigit():
            gid = uid
        else:
            gid = _primary_gid(root, user)
    mode = None
    if chmod:
        try:
            mode = int(chmod, 8)
        except ValueError:
            raise InvalidParameter(f"invalid chmod parameter: {chmod!r}: expected an octal mode") from None
        if not 0 <= mode <= 0o7777:
            raise InvalidParameter(f"invalid chmod parameter: {chmod!r}: expected an octal mode")
    return Ownership(uid, gid, mode)


def _primary_gid(root: Path, user: str) -> int:
    for line in (root / resolve_source(DirectoryTree(root), "etc/passwd")).read_text(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) > 3 and fields[0] == user and fields[3].isdigit():
            return int(fields[3])
    return 0


class RootWriter:
    """Writes into `root` (a mounted image root) as `owner`."""

    def __init__(self, root: Path, owner: Ownership) -> None:
        self._root = root
        self._tree = DirectoryTree(root)
        self._owner = owner

    def host_path(self, path_in_root: str) -> Path:
        return self._root / resolve_source(self._tree, path_in_root)

    def is_dir(self, path_in_root: str) -> bool:
        return self.host_path(path_in_root).is_dir()

    def make_dirs(self, path_in_root: str) -> Path:
        """Create `path_in_root` and missing parents (0755, the owner's), each resolved inside the root."""
        walked = ""
        for part in [p for p in path_in_root.split("/") if p]:
            walked = f"{walked}/{part}"
            host = self.host_path(walked)
            if host.is_dir():
                continue
            if os.path.lexists(host):
                raise SourceError(f"mkdir {walked}: not a directory")
            os.mkdir(host, 0o755)
            os.chown(host, self._owner.uid, self._owner.gid)
        return self.host_path(path_in_root)

    def copy(self, source: Source, destination: str, *, into_directory: bool) -> None:
        """One source to `destination` (a path in the root); a file into it when `into_directory`."""
        relative = resolve_source(source.tree, source.relative) if source.is_dir else source.relative
        if source.is_dir:
            target = self.make_dirs(destination)
            self._copy_tree(source.tree, relative, target)
            return
        if into_directory:
            directory = self.make_dirs(destination)
            target = directory / os.path.basename(source.relative)
        else:
            parent, _, name = destination.rstrip("/").rpartition("/")
            target = self.make_dirs(parent or "/") / name
        self._copy_entry(source.tree, source.relative, target)

    def unpack(self, source: Source, destination: str) -> bool:
        """ADD's archive rule: False when the source is not a tar (then it is copied as a file)."""
        with source.tree.open(resolve_source(source.tree, source.relative)) as raw:
            try:
                stream = open_decompressed(raw)
                tar = tarfile.open(fileobj=stream, mode="r|", bufsize=STREAM_BUFFER)  # type: ignore[call-overload]
            except (tarfile.TarError, *CORRUPT_DATA_ERRORS):
                return False
            target = self.make_dirs(destination)
            with tar:
                try:
                    tar.extractall(target, filter=self._tar_filter)
                except tarfile.FilterError as error:
                    raise SourceError(f"ADD {os.path.basename(source.relative)}: {error}") from None
        return True

    def _tar_filter(self, member: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
        member = tarfile.tar_filter(member, path)  # refuses absolute names, `..` and links leaving the target
        if self._owner.uid or self._owner.gid:
            member = member.replace(uid=self._owner.uid, gid=self._owner.gid, uname="", gname="", deep=False)
        return member

    def _copy_tree(self, tree: SourceTree, relative: str, target: Path) -> None:
        for name in tree.children(relative):
            child = f"{relative}/{name}" if relative else name
            into = target / name
            found = tree.entry(child)
            if found is None:
                continue
            if found.is_dir:
                if not into.is_dir() or into.is_symlink():
                    self._clear(into)
                    os.mkdir(into, 0o755)
                self._copy_tree(tree, child, into)
                self._metadata(into, found)
            else:
                self._copy_entry(tree, child, into)
        self._metadata(target, tree.entry(relative))  # type: ignore[arg-type]

    def _copy_entry(self, tree: SourceTree, relative: str, target: Path) -> None:
        found = tree.entry(relative)
        if found is None:
            raise SourceError(f"file not found in {tree.name}: {relative}")
        if not found.is_regular:
            self._clear(target)
            if found.is_symlink:
                os.symlink(found.linkname, target)
            else:
                os.mknod(target, found.mode, found.rdev)
            self._metadata(target, found)
            return
        # Create first and clear only when something was there: most targets are new, and every lookup through
        # the overlay costs (a COPY of thousands of files spent a third of its time looking before writing).
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(target, flags, 0o600)
        except FileExistsError:
            self._clear(target)
            fd = os.open(target, flags, 0o600)
        with tree.open(relative) as reader, os.fdopen(fd, "wb") as writer:
            shutil.copyfileobj(reader, writer, _COPY_CHUNK)
            writer.flush()
            os.fchown(fd, self._owner.uid, self._owner.gid)
            os.fchmod(fd, self._owner.chmod if self._owner.chmod is not None else stat.S_IMODE(found.mode))
            os.utime(fd, ns=(found.mtime_ns, found.mtime_ns))

    @staticmethod
    def _clear(target: Path) -> None:
        if target.is_symlink() or (os.path.lexists(target) and not target.is_dir()):
            os.unlink(target)
        elif target.is_dir():
            shutil.rmtree(target)

    def _metadata(self, target: Path, found: TreeEntry) -> None:
        os.chown(target, self._owner.uid, self._owner.gid, follow_symlinks=False)
        if not found.is_symlink:
            os.chmod(target, self._owner.chmod if self._owner.chmod is not None else stat.S_IMODE(found.mode))
        os.utime(target, ns=(found.mtime_ns, found.mtime_ns), follow_symlinks=False)
