"""Line numbers across rotations: each log file records, in an extended attribute, how many lines the
container's log held before its first line.

A shipper that follows the log (logdrivers.shipping) keeps the number of the next line it must send, so after
a restart it finds that line again in whichever file now holds it (the file it was reading may since have
been renamed, compressed into a new inode, or removed), and it knows exactly how many lines were rotated away
before it could send them. The attribute travels with renames and is copied onto the compressed file. Where
the filesystem has no user xattrs (tmpfs before Linux 6.6), files are unnumbered and readers fall back to
following file identities, without exact loss counts.
"""

import errno
import os

FIRST_LINE_XATTR = "user.porthole.first_line"
_UNSUPPORTED = (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP)
_BLOCK = 1 << 20


def read_first_line(target: str | os.PathLike[str] | int) -> int | None:
    """The recorded number of the file's first line, or None if the file carries none."""
    try:
        return int(os.getxattr(target, FIRST_LINE_XATTR))
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            return None
        raise
    except ValueError:
        return None  # not written by us: treated as unnumbered


def write_first_line(target: str | os.PathLike[str] | int, first_line: int) -> bool:
    """Record the number; False if the filesystem cannot hold it."""
    try:
        os.setxattr(target, FIRST_LINE_XATTR, str(first_line).encode())
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            return False
        raise
    return True


def count_lines(path: str) -> int:
    """Newlines in the whole file (an unterminated fragment left by a crash is no line)."""
    total, offset = 0, 0
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        while block := os.pread(fd, _BLOCK, offset):
            total += block.count(b"\n")
            offset += len(block)
    finally:
        os.close(fd)
    return total


def create_numbered(path: str, first_line: int | None, mode: int) -> int:
    """Create an empty log file that already carries its number when it appears under `path` (made under a
    temporary name, numbered, then renamed), and return it open for appending."""
    temporary = path + ".new"
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    fd = os.open(temporary, flags, mode)
    try:
        os.fchmod(fd, mode)  # the mode is the file's contract (0640), whatever the umask
        if first_line is not None:
            write_first_line(fd, first_line)
        os.rename(temporary, path)
    except BaseException:
        os.close(fd)
        raise
    return fd
