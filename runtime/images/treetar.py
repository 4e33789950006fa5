"""Filesystem entries written as tar members the way Docker's archive package writes them: PAX format, numeric
owners without names, mtimes truncated to the second, hard links kept as links to the first name seen, file
capabilities and user xattrs carried in PAX records, sockets left out. Layers (a step's or a commit's upper
directory), `docker cp` out of a container and `docker export` all write through `TreeTarWriter`.
"""

import errno
import os
import stat
import tarfile
from collections.abc import Callable
from typing import BinaryIO

PAX_XATTR_PREFIX = "SCHILY.xattr."
_COPY_CHUNK = 1 << 20
_DEVICE_TYPES = {stat.S_IFCHR: tarfile.CHRTYPE, stat.S_IFBLK: tarfile.BLKTYPE, stat.S_IFIFO: tarfile.FIFOTYPE}

# (uid, gid) on disk → the (uid, gid) to show or write instead: a remapped container's ids shifted either way
OwnerMap = Callable[[int, int], tuple[int, int]]


def restorable_xattr(name: str) -> bool:
    """Xattrs carried in and out of tars. File capabilities (ping's cap_net_raw) and user xattrs matter to
    programs; trusted.* would let a tar forge overlayfs metadata (redirects, origins), and security.selinux
    belongs to the host's policy."""
    return name == "security.capability" or name.startswith("user.")


def member_info(name: str, info: os.stat_result) -> tarfile.TarInfo:
    """The member's header fields every type shares: name, permission bits, numeric owner, mtime."""
    entry = tarfile.TarInfo(name)
    entry.mode = stat.S_IMODE(info.st_mode)
    entry.uid, entry.gid = info.st_uid, info.st_gid
    entry.mtime = int(info.st_mtime)
    return entry


def _xattrs(path: str) -> dict[str, str]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EPERM):
            return {}
        raise
    records = {}
    for name in names:
        if restorable_xattr(name):
            value = os.getxattr(path, name, follow_symlinks=False)
            records[PAX_XATTR_PREFIX + name] = value.decode("utf-8", "surrogateescape")
    return records


class TreeTarWriter:
    """A tar stream on `out`; `add(name, path, info)` appends one entry read from the filesystem.

    The members are written here rather than through tarfile.TarFile, so that `on_payload(offset, size, path)`
    can be told where each file's content starts before it is written: a layer adopted from a directory
    records its tar-split data from that (tarsplit.TarSplitRecorder.member) without a second pass.
    """

    def __init__(
        self,
        out: BinaryIO,
        on_payload: Callable[[int, int, str], None] | None = None,
        owners: OwnerMap | None = None,
    ) -> None:
        """`owners`: the (uid, gid) a member gets for its file's (a remapped container's are shifted back)."""
        self._out = out
        self._on_payload = on_payload
        self._owners = owners
        self.offset = 0
        self._linked: dict[tuple[int, int], str] = {}  # (device, inode) → first member name, to keep hard links

    def add(self, name: str, path: str, info: os.stat_result, payload_path: str | None = None) -> None:
        """Append `path` (lstat `info`) as member `name`; a directory's name gets its trailing slash here.
        `payload_path` is what `on_payload` is told of a file's content (the member name by default)."""
        entry = self._member_info(name, info)
        mode = stat.S_IFMT(info.st_mode)
        if mode == stat.S_IFSOCK:
            return  # tar has no sockets; Docker skips them too
        if mode == stat.S_IFLNK:
            entry.type, entry.linkname = tarfile.SYMTYPE, os.readlink(path)
            self._header(entry)
            return
        entry.pax_headers = _xattrs(path)
        if mode == stat.S_IFDIR:
            entry.type = tarfile.DIRTYPE
            if not entry.name.endswith("/"):
                entry.name += "/"
            self._header(entry)
        elif mode == stat.S_IFREG:
            self._regular(entry, path, info, payload_path or name)
        else:
            entry.type = _DEVICE_TYPES.get(mode, tarfile.FIFOTYPE)
            entry.devmajor, entry.devminor = os.major(info.st_rdev), os.minor(info.st_rdev)
            self._header(entry)

    def add_marker(self, name: str, info: os.stat_result) -> None:
        """An empty regular member that stands for something else (a whiteout, an opaque directory's marker)."""
        entry = self._member_info(name, info)
        entry.mode = 0o600
        self._header(entry)

    def _member_info(self, name: str, info: os.stat_result) -> tarfile.TarInfo:
        entry = member_info(name, info)
        if self._owners is not None:
            entry.uid, entry.gid = self._owners(entry.uid, entry.gid)
        return entry

    def close(self) -> None:
        """The end-of-archive blocks and the padding to a whole record, as tarfile.TarFile.close writes them."""
        self._write(bytes(2 * tarfile.BLOCKSIZE))
        remainder = self.offset % tarfile.RECORDSIZE
        if remainder:
            self._write(bytes(tarfile.RECORDSIZE - remainder))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self.offset += len(data)

    def _header(self, entry: tarfile.TarInfo) -> None:
        self._write(entry.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))

    def _regular(self, entry: tarfile.TarInfo, path: str, info: os.stat_result, payload_path: str) -> None:
        key = (info.st_dev, info.st_ino)
        if info.st_nlink > 1 and key in self._linked:
            entry.type, entry.linkname = tarfile.LNKTYPE, self._linked[key]
            self._header(entry)
            return
        self._linked[key] = entry.name
        with open(path, "rb") as content:
            # The size is what the open file holds now: a file a running container is writing may have grown.
            entry.size = os.fstat(content.fileno()).st_size
            self._header(entry)
            if not entry.size:
                return
            if self._on_payload is not None:
                self._on_payload(self.offset, entry.size, payload_path)
            reader = _Exactly(content, entry.size)
            while chunk := reader.read(_COPY_CHUNK):
                self._write(chunk)
        padding = entry.size % tarfile.BLOCKSIZE
        if padding:
            self._write(bytes(tarfile.BLOCKSIZE - padding))


class _Exactly:
    """Reads `size` bytes of `content`, padding with zeros if the file shrank meanwhile (its header is written)."""

    def __init__(self, content: BinaryIO, size: int) -> None:
        self._content = content
        self._left = size

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size < 0 else min(size, self._left)
        data = self._content.read(wanted)
        if len(data) < wanted:
            data += bytes(wanted - len(data))
        self._left -= len(data)
        return data
