"""An overlayfs upper directory written as a Docker layer tar: what a RUN step, a COPY or a `commit` changed.

overlayfs marks a deletion with a character device 0/0 and a directory that replaced a lower one with the
xattr `trusted.overlay.opaque="y"` (kernel Documentation/filesystems/overlayfs.rst); a layer tar says the same
with `.wh.<name>` and `.wh..wh..opq` entries (the OCI image spec's whiteouts). Entries are sorted, owners
numeric, names relative, hard links kept, so the same tree always gives the same bytes (and the same diff_id).
"""

import errno
import os
import stat
import tarfile
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

from runtime.images.layers import OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX

_COPY_CHUNK = 1 << 20


def _opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError as error:
        if error.errno in (errno.ENODATA, errno.ENOTSUP):
            return False
        raise


def _walk(root: str, relative: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) for every entry below `root`, parents before children, names sorted."""
    directory = os.path.join(root, relative) if relative else root
    for name in sorted(os.listdir(directory)):
        child = f"{relative}/{name}" if relative else name
        info = os.lstat(os.path.join(root, child))
        yield child, info
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(root, child)


def _info(name: str, info: os.stat_result) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.mode = stat.S_IMODE(info.st_mode)
    entry.uid, entry.gid = info.st_uid, info.st_gid
    entry.mtime = int(info.st_mtime)
    return entry


def _whiteout(relative: str, info: os.stat_result) -> tarfile.TarInfo:
    parent, _, base = relative.rpartition("/")
    entry = _info(f"{parent}/{WHITEOUT_PREFIX}{base}" if parent else WHITEOUT_PREFIX + base, info)
    entry.mode = 0o600
    return entry


def _placeholder(relative: str, info: os.stat_result, placeholders: frozenset[str]) -> bool:
    if relative not in placeholders:
        return False
    return (stat.S_ISREG(info.st_mode) and info.st_size == 0) or stat.S_ISDIR(info.st_mode)


def write_upper_tar(upper: str, out: BinaryIO, placeholders: frozenset[str] = frozenset()) -> None:
    """Write the layer tar of overlay upper dir `upper` to `out` (PAX format, as Docker's archive package).

    `placeholders`: paths the runtime made to mount on (/proc, /etc/hosts, ...), left out while they are an
    empty file or a directory, as Docker keeps them in an init layer below the container's.
    """
    linked: dict[tuple[int, int], str] = {}
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for relative, info in _walk(upper):
            if _placeholder(relative, info, placeholders):
                continue
            path = os.path.join(upper, relative)
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                tar.addfile(_whiteout(relative, info))
                continue
            entry = _info(relative, info)
            if stat.S_ISDIR(info.st_mode):
                entry.type = tarfile.DIRTYPE
                tar.addfile(entry)
                if _opaque(path):
                    marker = _info(f"{relative}/{OPAQUE_MARKER}", info)
                    marker.mode = 0o600
                    tar.addfile(marker)
            elif stat.S_ISLNK(info.st_mode):
                entry.type, entry.linkname = tarfile.SYMTYPE, os.readlink(path)
                tar.addfile(entry)
            elif stat.S_ISREG(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if info.st_nlink > 1 and key in linked:
                    entry.type, entry.linkname = tarfile.LNKTYPE, linked[key]
                    tar.addfile(entry)
                    continue
                linked[key] = relative
                entry.size = info.st_size
                with open(path, "rb") as content:
                    tar.addfile(entry, content)
            else:
                entry.type = {stat.S_IFCHR: tarfile.CHRTYPE, stat.S_IFBLK: tarfile.BLKTYPE}.get(
                    stat.S_IFMT(info.st_mode), tarfile.FIFOTYPE
                )
                entry.devmajor, entry.devminor = os.major(info.st_rdev), os.minor(info.st_rdev)
                tar.addfile(entry)


class PipedWriter:
    """Runs `write(file)` on a thread and hands the bytes to a reader: a layer is extracted while it is written,
    without a temporary tar. The writer's error, if any, is raised by `close()`."""

    def __init__(self, write: Callable[[BinaryIO], None], name: str) -> None:
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        self.reader = os.fdopen(read_fd, "rb", buffering=_COPY_CHUNK)
        self._failure: list[BaseException] = []

        def produce() -> None:
            try:
                with os.fdopen(write_fd, "wb", buffering=_COPY_CHUNK) as out:
                    write(out)
            except BaseException as error:  # noqa: BLE001 - handed to close(), in the reader's thread
                self._failure.append(error)

        self._thread = threading.Thread(target=produce, name=name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.reader.close()  # a writer still writing gets EPIPE and ends
        self._thread.join()
        if self._failure and not isinstance(self._failure[0], BrokenPipeError):
            raise self._failure[0]
