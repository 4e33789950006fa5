"""ctypes wrappers for the syscalls Python 3.11 lacks (unshare and setns arrived in 3.12; pivot_root, mount and
capset never did). Each raises OSError with errno and the call's name, like the os module does."""

import ctypes
import os

from runtime.linux.constants import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    BPF_INSTRUCTION_SIZE,
    MOUNT_ATTR_IDMAP,
    MOVE_MOUNT_F_EMPTY_PATH,
    SECCOMP_SET_MODE_FILTER,
    SYSCALL,
)

# Loaded by soname, not ctypes.util.find_library: that runs a subprocess, and these wrappers are also used
# inside a container after pivot_root, where no ldconfig exists.
_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
# prctl has no argtypes: every call passes small ints, which ctypes hands over as C ints (libffi widens them to
# the register), and the argtypes' converters cost a forked shim up to ~50 KiB of copied pages.
# Looked up here, at import, like the others: a first lookup runs ctypes' Python code, in a shim after its fork.
_prctl = _libc.prctl


def _check(result: int, what: str, path: str | None = None) -> None:
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}", path)


def _b(value: str | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), flags, _b(data)), f"mount {fstype or ''}", target)


def umount2(target: str, flags: int = 0) -> None:
    _check(_libc.umount2(_b(target), flags), "umount2", target)


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    _check(_libc.setns(fd, nstype), "setns")


def pivot_root(new_root: str, put_old: str) -> None:
    _check(_libc.syscall(SYSCALL["pivot_root"], _b(new_root), _b(put_old)), "pivot_root", new_root)


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    result = _prctl(option, arg2, arg3, arg4, arg5)
    _check(result, f"prctl {option}")
    return result


def pidfd_getfd(pidfd: int, target_fd: int) -> int:
    """A close-on-exec duplicate of another process's descriptor (Linux 5.6; needs ptrace access, as root has)."""
    fd = _libc.syscall(SYSCALL["pidfd_getfd"], pidfd, target_fd, 0)
    _check(fd, "pidfd_getfd")
    return fd


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def capset(effective: int, permitted: int, inheritable: int) -> None:
    """Set the calling thread's capability sets; each is a 64-bit mask."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)(
        _CapData(effective & 0xFFFFFFFF, permitted & 0xFFFFFFFF, inheritable & 0xFFFFFFFF),
        _CapData(effective >> 32, permitted >> 32, inheritable >> 32),
    )
    _check(_libc.syscall(SYSCALL["capset"], ctypes.byref(header), data), "capset")


def lean_fork() -> int:
    """fork(2) without CPython's at-fork machinery (threading, logging and random hooks), which writes to
    hundreds of KiB of inherited pages and so makes each child pay for them privately. Only for processes that
    never started a thread: the hooks exist to repair state that other threads left behind."""
    pid = _libc.fork()
    _check(pid, "fork")
    return pid


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def seccomp_set_filter(program: bytes) -> None:
    """Install a compiled seccomp program (libseccomp's export, runtime.security.seccomp_filter) on the calling
    thread, as libseccomp's seccomp_load does with its no_new_privs control off: without no_new_privs the
    caller needs CAP_SYS_ADMIN, so a container's init calls this before it drops capabilities."""
    prog = _SockFprog(len(program) // BPF_INSTRUCTION_SIZE, program)
    _check(_libc.syscall(SYSCALL["seccomp"], SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(prog)), "seccomp")


def open_tree(path: str, flags: int) -> int:
    """A descriptor of the mount at `path`; with OPEN_TREE_CLONE a detached copy of it (AT_RECURSIVE: of its
    whole tree) that move_mount can attach elsewhere."""
    fd = _libc.syscall(SYSCALL["open_tree"], ctypes.c_long(AT_FDCWD), _b(path), flags | os.O_CLOEXEC)
    _check(fd, "open_tree", path)
    return fd


def move_mount(fd: int, target: str) -> None:
    """Attach the mount `fd` holds (open_tree's) at `target`."""
    call = _libc.syscall(SYSCALL["move_mount"], fd, b"", ctypes.c_long(AT_FDCWD), _b(target), MOVE_MOUNT_F_EMPTY_PATH)
    _check(call, "move_mount", target)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]  # fmt: skip


def idmap_mount(fd: int, userns_fd: int) -> None:
    """Make the detached mount `fd` show its files' owners through the user namespace `userns_fd`'s mapping
    (an idmapped mount, 5.12; the filesystem must allow it: ext4, xfs, btrfs, tmpfs since 6.3)."""
    attr = _MountAttr(MOUNT_ATTR_IDMAP, 0, 0, userns_fd)
    call = _libc.syscall(SYSCALL["mount_setattr"], fd, b"", AT_EMPTY_PATH, ctypes.byref(attr), ctypes.sizeof(attr))
    _check(call, "mount_setattr")
