"""The "top of directory hierarchies" flag of ext2/3/4 (chattr +T, FS_TOPDIR_FL), an inode allocation hint.

ext4's Orlov allocator places each subdirectory of such a directory in the block group with the fewest
directories among those with more free inodes and blocks than average, rather than in its parent's group. The
layer store sets it on the directory its layers are extracted in, so a new layer's tree most often lands away from
the trees removed just before (not always: the group just emptied can be the one with the fewest directories).
That matters on an ext4 without a journal (this machine's root), where allocating an inode skips, a buffer lookup
each, every inode of its group freed in the last 60 s (fs/ext4/ialloc.c, recently_deleted()): right after an
`rmi`, a pull of a 2,000-file layer paid 450-850 us a file instead of 30-40, and the whole pull took 1.33-3.30 s
where it takes 0.83-1.20 s under a top directory (bench/bench_pull.py). Filesystems without the flag refuse it,
and are left as they are. Subdirectories do not inherit it.
"""

import array
import fcntl
import os

FS_IOC_GETFLAGS = 0x80086601  # _IOR('f', 1, long); the kernel reads and writes an int through it
FS_IOC_SETFLAGS = 0x40086602  # _IOW('f', 2, long)
FS_TOPDIR_FL = 0x00020000


def mark_top_directory(path: str | os.PathLike) -> bool:
    """Set the flag on the directory `path`; False where its filesystem has no such flag (or refuses it)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, flags, True)
        if not flags[0] & FS_TOPDIR_FL:
            flags[0] |= FS_TOPDIR_FL
            fcntl.ioctl(fd, FS_IOC_SETFLAGS, flags, True)
        return True
    except OSError:  # ENOTTY, EOPNOTSUPP, EINVAL: a hint that this filesystem does not take
        return False
    finally:
        os.close(fd)
