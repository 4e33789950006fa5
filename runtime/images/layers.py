"""Extraction of one layer tar into overlayfs form, with our own safety checks.

tarfile's `data` filter is not used: it refuses the device nodes and absolute symlinks real images hold.
Instead every member goes through `memberpaths`. Whiteouts become what overlayfs reads
(kernel Documentation/filesystems/overlayfs.rst): `.wh.<name>` a character device 0/0 named `<name>`,
`.wh..wh..opq` the xattr `trusted.overlay.opaque="y"` on its directory. Owners stay numeric.
"""

import os
import shutil
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from runtime.errors import HostError, InsufficientStorage, InvalidParameter
from runtime.images.compression import CORRUPT_DATA_ERRORS, open_decompressed
from runtime.images.memberpaths import (
    check_symlink_target,
    ensure_parent_dirs,
    existing_entry,
    hard_link_source,
    normalise_member_name,
    refuse,
)
from runtime.images.readers import CountingReader, HashingReader, Readable, ReadAhead
from runtime.images.tarsplit import TarSplitRecorder
from runtime.images.treetar import PAX_XATTR_PREFIX, restorable_xattr

T = TypeVar("T")

TREE_DIR = "diff"
SHADOW_DIR = "shadow"
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
_COPY_CHUNK = 1 << 20
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# tarfile's stream mode reads its source 10 KiB at a time by default: on a 64 MB context or a 100 MB layer that
# is thousands of Python-level reads (half the cost of a cached rebuild, measured). Not 1 MiB either: each
# header read slices the rest of the buffer off, so 2,000 small files copied 2 GB (measured on a pull).
STREAM_BUFFER = 64 << 10


@dataclass(frozen=True, slots=True)
class ExtractedLayer:
    diff_id: str  # sha256 of the uncompressed tar
    size: int  # bytes of regular file content


def _current_umask() -> int:
    """The process's umask, read without setting it (os.umask would change it for every thread meanwhile)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o777  # unknown (a kernel before 4.7): assume every bit may be taken, so chmod always runs


def _mtime_ns(member: tarfile.TarInfo) -> int:
    return int(round(member.mtime * 1_000_000_000))


class _LayerWriter:
    def __init__(self, layer_dir: Path, what: str, recorder: TarSplitRecorder) -> None:
        (layer_dir / TREE_DIR).mkdir(mode=0o755)
        self.tree = str(layer_dir / TREE_DIR)  # str paths: pathlib costs a lot per member on big layers
        self._layer_dir = layer_dir
        self._what = what
        self._recorder = recorder
        self._known_dirs: set[str] = set()
        self._directories: list[tuple[str, tarfile.TarInfo]] = []
        self._shadowed = 0
        self.size = 0
        # Who a new file belongs to and which mode bits survive its creation: with these known, most regular
        # files are created with their final mode and owner, two metadata syscalls fewer each (on a loaded host
        # every inode update costs: a 2,000-file layer spends most of its pull in the kernel).
        root = os.stat(self.tree)
        self._creator = (os.geteuid(), os.getegid() if not root.st_mode & stat.S_ISGID else root.st_gid)
        self._umask = _current_umask()

    def write(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        relative = normalise_member_name(self._what, member.name)
        parent, _, base = relative.rpartition("/")
        if base == OPAQUE_MARKER:
            self._recorder.member(member.offset_data, member.size, None)
            directory = self._parents(member, parent)
            os.setxattr(directory, OPAQUE_XATTR, b"y", follow_symlinks=False)
            return
        if base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
            self._recorder.member(member.offset_data, member.size, None)  # aufs hard-link metadata: skipped
            return
        if base.startswith(WHITEOUT_PREFIX):
            self._recorder.member(member.offset_data, member.size, None)
            self._whiteout(member, parent, base[len(WHITEOUT_PREFIX) :])
            return
        if member.isreg():
            self._regular(tar, member, relative, parent)
            return
        self._recorder.member(member.offset_data, 0, None)
        if member.isdir():
            self._directory(member, relative, parent)
        elif member.issym():
            self._symlink(member, relative, parent)
        elif member.islnk():
            self._hard_link(member, relative, parent)
        elif member.ischr() or member.isblk() or member.isfifo():
            self._device(member, relative, parent)
        else:
            raise refuse(self._what, member.name, f"unsupported member type {member.type!r}")

    def finish(self) -> None:
        """Directory metadata last: writing children changes a directory's mtime."""
        for relative, member in reversed(self._directories):
            info = existing_entry(self.tree, relative)
            if info is not None and stat.S_ISDIR(info.st_mode):  # else a later member replaced it
                self._set_metadata(os.path.join(self.tree, relative), member)

    def _parents(self, member: tarfile.TarInfo, parent: str) -> str:
        return ensure_parent_dirs(self.tree, self._what, member.name, parent, self._known_dirs)

    def _target(self, member: tarfile.TarInfo, relative: str, parent: str, *, directory: bool) -> str:
        """The path to write `relative` at, with whatever was there removed unless both are directories."""
        if not relative:
            if not directory:
                raise refuse(self._what, member.name, "the layer root can only be a directory")
            return self.tree
        path = os.path.join(self._parents(member, parent), relative.rpartition("/")[2])
        info = existing_entry(self.tree, relative, self._known_dirs)
        if info is None or (directory and stat.S_ISDIR(info.st_mode)):
            return path
        if stat.S_ISDIR(info.st_mode):
            self._set_aside_payloads_under(relative)
            shutil.rmtree(path)
            self._known_dirs = {d for d in self._known_dirs if d != relative and not d.startswith(relative + "/")}
        elif self._recorder.owns(relative):
            self._set_aside(relative, path)
        else:
            os.unlink(path)
        return path

    def _create(self, member: tarfile.TarInfo, relative: str, parent: str, make: Callable[[str], T]) -> T:
        """`make(path)` at the member's path. Created first; what was there is looked at (and removed) only when
        something was: most names are new in a layer, and each lookup is a syscall."""
        try:
            return make(os.path.join(self._parents(member, parent), relative.rpartition("/")[2]))
        except FileExistsError:
            return make(self._target(member, relative, parent, directory=False))

    def _owned(self, member: tarfile.TarInfo) -> bool:
        """Whether a file created here already has the member's owner (no chown needed)."""
        return (member.uid, member.gid) == self._creator

    def _set_aside(self, relative: str, path: str) -> None:
        # The tar's earlier bytes for this path are needed to rebuild the tar: keep them out of the tree.
        shadow = self._layer_dir / SHADOW_DIR
        shadow.mkdir(exist_ok=True)
        self._shadowed += 1
        os.rename(path, shadow / str(self._shadowed))
        self._recorder.relocate(relative, f"../{SHADOW_DIR}/{self._shadowed}")

    def _set_aside_payloads_under(self, relative: str) -> None:
        for directory, _, files in os.walk(os.path.join(self.tree, relative)):
            for name in files:
                path = os.path.join(directory, name)
                inner = os.path.relpath(path, self.tree)
                if self._recorder.owns(inner):
                    self._set_aside(inner, path)

    def _whiteout(self, member: tarfile.TarInfo, parent: str, name: str) -> None:
        if name in ("", ".", "..") or "/" in name:
            raise refuse(self._what, member.name, f"whiteout of {name!r} names no file")
        relative = f"{parent}/{name}" if parent else name
        path = self._target(member, relative, parent, directory=False)
        os.mknod(path, stat.S_IFCHR, os.makedev(0, 0))
        os.chown(path, member.uid, member.gid, follow_symlinks=False)

    def _regular(self, tar: tarfile.TarFile, member: tarfile.TarInfo, relative: str, parent: str) -> None:
        if member.issparse():
            raise refuse(self._what, member.name, "sparse files are not supported")
        mode = member.mode & 0o7777
        # Set-id and sticky bits only after the chown, which clears them; bits the umask takes by chmod.
        created_mode = mode if not mode & ~0o777 and not mode & self._umask else 0o600
        fd = self._create(member, relative, parent, lambda path: os.open(path, _NEW_FILE, created_mode))
        self._recorder.member(member.offset_data, member.size, relative)
        # Straight from the archive's stream, which stands at the member's data: tar.extractfile wraps each
        # member in two reader objects and a buffer, a third of the extractor's own time on small files.
        source = tar.fileobj
        try:
            left = member.size
            while left:
                chunk = source.read(min(left, _COPY_CHUNK))  # type: ignore[union-attr]
                if not chunk:
                    raise tarfile.ReadError("unexpected end of data")  # as tarfile's own member reader says
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                left -= len(chunk)
            # through the descriptor: no second path lookup
            self._set_metadata(fd, member, chown=not self._owned(member), chmod=created_mode != mode)
        finally:
            os.close(fd)
        self.size += member.size

    def _directory(self, member: tarfile.TarInfo, relative: str, parent: str) -> None:
        path = self._target(member, relative, parent, directory=True)
        if relative and relative not in self._known_dirs:
            if existing_entry(self.tree, relative, self._known_dirs) is None:
                os.mkdir(path, 0o700)
            self._known_dirs.add(relative)
        self._directories.append((relative, member))

    def _symlink(self, member: tarfile.TarInfo, relative: str, parent: str) -> None:
        check_symlink_target(self._what, member.name, relative, member.linkname)

        def link(path: str) -> str:
            os.symlink(member.linkname, path)
            return path

        self._set_metadata(self._create(member, relative, parent, link), member, chown=not self._owned(member))

    def _hard_link(self, member: tarfile.TarInfo, relative: str, parent: str) -> None:
        source = hard_link_source(self.tree, self._what, member.name, member.linkname, self._known_dirs)
        if source == os.path.join(self.tree, relative):
            return
        path = self._target(member, relative, parent, directory=False)
        os.link(source, path, follow_symlinks=False)

    def _device(self, member: tarfile.TarInfo, relative: str, parent: str) -> None:
        path = self._target(member, relative, parent, directory=False)
        kind = stat.S_IFIFO if member.isfifo() else stat.S_IFCHR if member.ischr() else stat.S_IFBLK
        os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
        self._set_metadata(path, member)

    def _set_metadata(
        self, path: str | int, member: tarfile.TarInfo, *, chown: bool = True, chmod: bool = True
    ) -> None:
        """Owner, mode, restorable xattrs and mtime, by path (never followed) or by open descriptor; `chown` and
        `chmod` False when the file was created with that owner or mode already."""
        follow = isinstance(path, int)  # descriptors refuse follow_symlinks=False; paths must not follow
        if chown:
            os.chown(path, member.uid, member.gid, follow_symlinks=follow)
        if not member.issym():
            if chmod:  # after chown, which clears set-id bits. Linux has no lchmod; `path` is never a symlink here
                os.chmod(path, member.mode & 0o7777)
            for key, value in member.pax_headers.items():
                name = key[len(PAX_XATTR_PREFIX) :]
                if key.startswith(PAX_XATTR_PREFIX) and restorable_xattr(name):
                    os.setxattr(path, name, value.encode("utf-8", "surrogateescape"), follow_symlinks=follow)
        mtime = _mtime_ns(member)
        os.utime(path, ns=(mtime, mtime), follow_symlinks=follow)


def extract_layer(stream: Readable, layer_dir: Path, what: str) -> ExtractedLayer:
    """Extract the (possibly compressed) layer tar `stream` into `layer_dir`/diff, recording tar-split data.

    `layer_dir` must be an empty private directory; on error the caller removes it.
    `what` names the source in error messages ("import", "load: layer blobs/sha256/…").
    """
    recorder = TarSplitRecorder(layer_dir)
    try:
        return _extract(stream, layer_dir, what, recorder)
    except BaseException:
        recorder.abort()
        raise


def _extract(stream: Readable, layer_dir: Path, what: str, recorder: TarSplitRecorder) -> ExtractedLayer:
    raw = CountingReader(stream, None)
    ahead = ReadAhead(open_decompressed(raw))
    hashing = HashingReader(ahead, observe=recorder.observe)
    writer = _LayerWriter(layer_dir, what, recorder)
    member_name = ""
    try:
        with tarfile.open(fileobj=hashing, mode="r|", bufsize=STREAM_BUFFER) as tar:  # type: ignore[call-overload]
            for member in tar:
                member_name = member.name
                writer.write(tar, member)
        member_name = ""
        hashing.drain()
    except (tarfile.TarError, *CORRUPT_DATA_ERRORS) as error:
        if raw.total == 0:
            raise InvalidParameter(f"images: {what}: archive is empty: expected a tar archive") from None
        where = f" at member {member_name!r}" if member_name else ""
        raise InvalidParameter(f"images: {what}: not a valid tar archive{where}: {error}") from None
    except OSError as error:
        if InsufficientStorage.covers(error):  # a full disk: 507, as every other write's
            raise InsufficientStorage.naming(error, os.path.join(writer.tree, member_name)) from None
        where = f" member {member_name!r}" if member_name else ""
        raise HostError(f"images: {what}:{where} cannot be written: {error.strerror or error}") from error
    finally:
        ahead.close()
    writer.finish()
    recorder.finish()
    return ExtractedLayer(hashing.digest, writer.size)
