"""`docker cp` into a container (PUT /containers/{id}/archive): a tar unpacked into a directory, inside a
RootView, by the rules of moby's archive.Unpack.

The view confines every lookup to the container's root; on top of that, as Docker does, a member whose name
climbs out of the extraction directory with `..`, a hard link to a file outside it, or a symlink whose target
lexically leaves it is refused before anything of it is written. Existing entries are replaced, directories
merged; with `noOverwriteDirNonDir` a directory never replaces a file nor a file a directory. Owners come from
the tar (or are the container user's with `copyUIDGID`), directory mtimes are set last.
"""

import os
import posixpath
import shutil
import stat
import tarfile
from dataclasses import dataclass

from runtime.errors import InvalidParameter
from runtime.images.compression import CORRUPT_DATA_ERRORS, PrefixedReader
from runtime.images.layers import STREAM_BUFFER
from runtime.images.readers import Readable
from runtime.images.treetar import PAX_XATTR_PREFIX, OwnerMap, restorable_xattr

_COPY_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class UntarOptions:
    no_overwrite_dir_non_dir: bool = False
    owner: tuple[int, int] | None = None  # (uid, gid) for every member instead of the tar's
    owners: OwnerMap | None = None  # the host ids of those (a remapped container's, shifted into its range)


def _inside(directory: str, path: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _mtime_ns(member: tarfile.TarInfo) -> int:
    return int(round(member.mtime * 1_000_000_000))


def _breakout(why: str) -> InvalidParameter:
    return InvalidParameter(f"containers: archive: {why}")


class _Unpacker:
    def __init__(self, directory: str, options: UntarOptions) -> None:
        self._directory = directory
        self._options = options
        self._directories: list[tuple[str, tarfile.TarInfo]] = []

    def member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        name = posixpath.normpath(member.name)
        path = posixpath.normpath(posixpath.join(self._directory, name.lstrip("/")))
        if not _inside(self._directory, path):
            raise _breakout(f"{member.name!r} is outside of {self._directory!r}")
        if path != self._directory:
            parent = posixpath.dirname(path)
            if not os.path.lexists(parent):
                os.makedirs(parent, 0o755)
        if not self._replace(member, path):
            return
        self._create(tar, member, path)
        if member.isdir():
            self._directories.append((path, member))

    def finish(self) -> None:
        """Directory mtimes last: writing children changes them."""
        for path, member in self._directories:
            os.utime(path, ns=(_mtime_ns(member),) * 2, follow_symlinks=False)

    def _replace(self, member: tarfile.TarInfo, path: str) -> bool:
        """Make room for `member` at `path`; False when there is nothing to write (the directory itself)."""
        try:
            existing = os.lstat(path)
        except FileNotFoundError:
            return True
        is_dir = stat.S_ISDIR(existing.st_mode)
        if self._options.no_overwrite_dir_non_dir and is_dir != member.isdir():
            if is_dir:
                raise InvalidParameter(f"cannot overwrite directory {path!r} with non-directory {self._directory!r}")
            raise InvalidParameter(f"cannot overwrite non-directory {path!r} with directory {self._directory!r}")
        if path == self._directory:
            if member.isdir():
                return False  # the extraction directory itself: kept as it is
            raise InvalidParameter(f"cannot overwrite directory {path!r} with non-directory {member.name!r}")
        if not (is_dir and member.isdir()):
            if is_dir:
                shutil.rmtree(path)
            else:
                os.unlink(path)
        return True

    def _create(self, tar: tarfile.TarFile, member: tarfile.TarInfo, path: str) -> None:
        if member.isdir():
            if not os.path.isdir(path) or os.path.islink(path):
                os.mkdir(path, 0o700)
        elif member.isreg():
            source = tar.extractfile(member)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, _COPY_CHUNK)
        elif member.issym():
            # Go's filepath.Join: an absolute target counts from the member's directory, as Docker checks it
            target = posixpath.normpath(posixpath.dirname(path) + "/" + member.linkname)
            if not _inside(self._directory, target):
                raise _breakout(f"invalid symlink {path!r} -> {member.linkname!r}")
            os.symlink(member.linkname, path)
        elif member.islnk():
            source = posixpath.normpath(posixpath.join(self._directory, member.linkname.lstrip("/")))
            if not _inside(self._directory, source):
                raise _breakout(f"invalid hardlink {source!r} -> {member.linkname!r}")
            os.link(source, path, follow_symlinks=False)
        elif member.ischr() or member.isblk() or member.isfifo():
            kind = stat.S_IFIFO if member.isfifo() else stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
        else:
            raise InvalidParameter(f"containers: archive: member {member.name!r}: unhandled tar header type")
        self._metadata(path, member)

    def _metadata(self, path: str, member: tarfile.TarInfo) -> None:
        uid, gid = self._options.owner or (member.uid, member.gid)
        if self._options.owners is not None:
            uid, gid = self._options.owners(uid, gid)
        os.chown(path, uid, gid, follow_symlinks=False)
        if member.issym():
            os.utime(path, ns=(_mtime_ns(member),) * 2, follow_symlinks=False)
            return
        if member.islnk():
            return  # the same inode as its source, whose metadata is set already
        os.chmod(path, member.mode & 0o7777)  # after chown, which clears set-id bits
        for key, value in member.pax_headers.items():
            name = key[len(PAX_XATTR_PREFIX) :]
            if key.startswith(PAX_XATTR_PREFIX) and restorable_xattr(name):
                os.setxattr(path, name, value.encode("utf-8", "surrogateescape"), follow_symlinks=False)
        if not member.isdir():
            os.utime(path, ns=(_mtime_ns(member),) * 2, follow_symlinks=False)


def unpack(stream: Readable, directory: str, options: UntarOptions) -> None:
    """Unpack the (uncompressed) tar `stream` into `directory`, an absolute path with symlinks resolved."""
    first = stream.read(tarfile.BLOCKSIZE)
    if not first:
        return  # as moby's: Go's tar reader ends at once on an empty body, a tar of nothing (tarfile refuses it)
    unpacker = _Unpacker(directory, options)
    try:
        with tarfile.open(fileobj=PrefixedReader(first, stream), mode="r|", bufsize=STREAM_BUFFER) as tar:  # type: ignore[call-overload]
            for member in tar:
                unpacker.member(tar, member)
    except (tarfile.TarError, *CORRUPT_DATA_ERRORS) as error:
        raise InvalidParameter(f"containers: archive: not a valid tar archive: {error}") from None
    unpacker.finish()
