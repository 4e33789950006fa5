"""The TCP sockets a process holds, asked of the sockets themselves: each socket fd is duplicated into the
probe with pidfd_getfd(2) (Linux 5.6), and getsockname, getpeername and TCP_INFO say its ends and state.

Why not /proc/<pid>/net/tcp alone: every read of it walks the kernel's whole established-connection hash
table, which all network namespaces share (262144 buckets on a 24 GB machine: about 1.8 ms per read,
twice per namespace with tcp6). 500 containers cost 2 s of CPU that way; asking the ~3 sockets each holds
costs a few microseconds each. The probe still reads the table of a namespace holding TIME_WAIT sockets
(no process holds those: only the table shows them) and of any process whose fds it may not take.
"""

from __future__ import annotations

import ctypes
import errno
import ipaddress
import os
import socket

from web.topology.proc_net import LISTEN, TcpSocket, plain_ip

_SYS_PIDFD_GETFD = 438  # the same number on every architecture (the syscall table was unified by then)
_libc = ctypes.CDLL(None, use_errno=True)
_INET = (socket.AF_INET, socket.AF_INET6)


class CannotTakeFds(Exception):
    """pidfd_getfd was refused (no ptrace access to the process, or a kernel before 5.6)."""


def _ip(address: str) -> str:
    return plain_ip(ipaddress.IPv6Address(address)) if ":" in address else address


def _describe(s: socket.socket, inode: int) -> TcpSocket | None:
    if s.family not in _INET or s.type != socket.SOCK_STREAM or s.proto not in (0, socket.IPPROTO_TCP):
        return None
    state = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]  # tcpi_state, the first byte
    local = s.getsockname()
    if state == LISTEN:
        return TcpSocket(_ip(local[0]), local[1], "::" if s.family == socket.AF_INET6 else "0.0.0.0", 0, state, inode)
    try:
        remote = s.getpeername()
    except OSError as e:
        if e.errno == errno.ENOTCONN:
            return None  # not connected (yet, or any more): nothing to draw
        raise
    return TcpSocket(_ip(local[0]), local[1], _ip(remote[0]), remote[1], state, inode)


def _describe_copy(copy: int, inode: int) -> TcpSocket | None:
    """The socket behind `copy`, an fd taken from the process (closed here, which leaves the process's own
    alone); None when the number now holds another file (the socket was closed since the fds were listed and the
    number reused) or the socket was reset or closed under us: the next report sees what it became."""
    try:
        if os.fstat(copy).st_ino != inode:
            return None
        with socket.socket(fileno=copy) as s:
            copy = -1  # the socket object closes it now
            return _describe(s, inode)
    except OSError:
        return None
    finally:
        if copy >= 0:
            os.close(copy)


def held_tcp_sockets(pid: int, fds: list[tuple[int, int]]) -> list[TcpSocket]:
    """The TCP sockets among <pid>'s socket fds ((fd, inode) pairs); [] when the process is gone.

    :raise CannotTakeFds: when the kernel refuses to hand them over.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return []
    except OSError as e:
        raise CannotTakeFds(f"pidfd_open({pid}): {e.strerror}") from e
    found = []
    try:
        for fd, inode in fds:
            copy = _libc.syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0)
            if copy < 0:
                code = ctypes.get_errno()
                if code in (errno.EBADF, errno.ESRCH):
                    continue  # closed, or the process exited, since its fds were listed
                raise CannotTakeFds(f"pidfd_getfd({pid}, {fd}): {os.strerror(code)}")
            described = _describe_copy(copy, inode)
            if described is not None:
                found.append(described)
    finally:
        os.close(pidfd)
    return found
