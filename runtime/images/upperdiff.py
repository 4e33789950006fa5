"""An overlayfs upper directory written as a Docker layer tar: what a RUN step, a COPY or a `commit` changed.

overlayfs marks a deletion with a character device 0/0 and a directory that replaced a lower one with the
xattr `trusted.overlay.opaque="y"` (kernel Documentation/filesystems/overlayfs.rst); a layer tar says the same
with `.wh.<name>` and `.wh..wh..opq` entries (the OCI image spec's whiteouts). Entries are sorted, owners
numeric, names relative, hard links kept, so the same tree always gives the same bytes (and the same diff_id).
"""

import errno
import os
import stat
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

from runtime.images.layers import OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX
from runtime.images.treetar import OwnerMap, TreeTarWriter

_COPY_CHUNK = 1 << 20
_OVERLAY_XATTR_PREFIX = "trusted.overlay."
# What the runtime makes in a container's root to mount on (runtime/shim/rootfs.py): not what the container
# changed, as long as they are still the empty file or directory it made.
MOUNT_PLACEHOLDERS = frozenset({"proc", "sys", "dev", "etc/hostname", "etc/hosts", "etc/resolv.conf"})


def is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError as error:
        if error.errno in (errno.ENODATA, errno.ENOTSUP):
            return False
        raise


def walk_sorted(root: str, relative: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) for every entry below `root`, parents before children, names sorted."""
    directory = os.path.join(root, relative) if relative else root
    for name in sorted(os.listdir(directory)):
        child = f"{relative}/{name}" if relative else name
        info = os.lstat(os.path.join(root, child))
        yield child, info
        if stat.S_ISDIR(info.st_mode):
            yield from walk_sorted(root, child)


def is_placeholder(relative: str, info: os.stat_result, placeholders: frozenset[str]) -> bool:
    if relative not in placeholders:
        return False
    return (stat.S_ISREG(info.st_mode) and info.st_size == 0) or stat.S_ISDIR(info.st_mode)


def _whiteout_name(relative: str) -> str:
    parent, _, base = relative.rpartition("/")
    return f"{parent}/{WHITEOUT_PREFIX}{base}" if parent else WHITEOUT_PREFIX + base


def write_upper_tar(
    upper: str,
    out: BinaryIO,
    placeholders: frozenset[str] = frozenset(),
    on_payload: Callable[[int, int, str], None] | None = None,
    owners: OwnerMap | None = None,
) -> None:
    """Write the layer tar of overlay upper dir `upper` to `out` (PAX format, as Docker's archive package).

    `placeholders`: paths the runtime made to mount on (/proc, /etc/hosts, ...), left out while they are an
    empty file or a directory, as Docker keeps them in an init layer below the container's.
    `on_payload(offset, size, path)`: where each file's content lies in the tar (TreeTarWriter); `owners`: the
    members' owners for their files' (TreeTarWriter).
    """
    writer = TreeTarWriter(out, on_payload, owners)
    for relative, info in walk_sorted(upper):
        if is_placeholder(relative, info, placeholders):
            continue
        path = os.path.join(upper, relative)
        if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
            writer.add_marker(_whiteout_name(relative), info)
            continue
        writer.add(relative, path, info)
        if stat.S_ISDIR(info.st_mode) and is_opaque(path):
            writer.add_marker(f"{relative}/{OPAQUE_MARKER}", info)
    writer.close()


def prepare_for_adoption(upper: str, placeholders: frozenset[str]) -> None:
    """Make an upper directory a layer tree as extraction would have made it: the runtime's placeholders gone,
    and no overlayfs bookkeeping xattr but the opaque marker (the kernel sets origin and impure on copy-up; in a
    lower layer they could only mislead a later mount)."""
    for relative in sorted(placeholders, reverse=True):
        path = os.path.join(upper, relative)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if is_placeholder(relative, info, placeholders):
            if stat.S_ISDIR(info.st_mode):
                if not os.listdir(path):
                    os.rmdir(path)
            else:
                os.unlink(path)
    for relative, info in [("", os.lstat(upper)), *walk_sorted(upper)]:
        if stat.S_ISLNK(info.st_mode):
            continue
        path = os.path.join(upper, relative) if relative else upper
        for name in os.listxattr(path, follow_symlinks=False):
            if name.startswith(_OVERLAY_XATTR_PREFIX) and name != OPAQUE_XATTR:
                os.removexattr(path, name, follow_symlinks=False)


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
