"""Pseudo-terminals (`-t`), made as runc makes its console: inside the container's own devpts instance (so that
`tty`, ttyname() and /dev/console work there), the slave as the process's controlling terminal and its stdin,
stdout and stderr, the master handed over a unix socket to whoever keeps it (the shim for a container, so the
terminal outlives the daemon; the daemon for an exec).

Imported by the zygote: fcntl and termios are extension modules that cannot be loaded after pivot_root."""

import _socket  # socket's C module: a shim's path calls no Python-level socket code (every page it runs is paid)
import fcntl
import os
import socket
import struct
import sys
import termios

from runtime.linux.constants import MS_BIND
from runtime.linux.syscalls import mount

CONSOLE = "/dev/console"
_WINSIZE = "HHHH"  # struct winsize: rows, columns, x and y pixels
_FD_BYTES = 4  # an fd in SCM_RIGHTS is a C int


def set_size(fd: int, rows: int, columns: int) -> None:
    """The window size of the terminal `fd` belongs to (master or slave); its foreground group gets SIGWINCH."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack(_WINSIZE, rows, columns, 0, 0))


def get_size(fd: int) -> tuple[int, int]:
    rows, columns, _, _ = struct.unpack(_WINSIZE, fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    return rows, columns


def open_terminal(size: list[int] | None) -> tuple[int, int]:
    """A new (master, slave) pair from the devpts of the current mount namespace (/dev/ptmx), both close-on-exec;
    `size` is Docker's ConsoleSize, [rows, columns], if the client sent one."""
    master, slave = os.openpty()
    if size and size[0] and size[1]:
        set_size(master, size[0], size[1])
    return master, slave


def mount_console(slave: int) -> None:
    """/dev/console is the terminal, as in Docker (after pivot_root, with the /dev tmpfs of the container)."""
    os.close(os.open(CONSOLE, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))
    mount(os.ttyname(slave), CONSOLE, None, MS_BIND)


def take_as_stdio(slave: int) -> None:
    """The slave becomes the controlling terminal of this session's leader (call after setsid) and fds 0-2."""
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)


def send_master(channel: int, master: int) -> None:
    """The master over the unix socket `channel` (SCM_RIGHTS), then closed here."""
    sock = _socket.socket(fileno=os.dup(channel))
    sock.sendmsg([b"T"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, master.to_bytes(_FD_BYTES, sys.byteorder))])
    sock.close()
    os.close(master)


def receive_master(channel: int) -> int | None:
    """The master sent on `channel`, or None if the sender gave up before sending one."""
    sock = _socket.socket(fileno=os.dup(channel))
    _, ancillary, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(_FD_BYTES))
    sock.close()
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS and len(data) >= _FD_BYTES:
            return int.from_bytes(data[:_FD_BYTES], sys.byteorder)
    return None


def console_channel() -> tuple[int, int]:
    """A (receiving, sending) pair of unix sockets to pass a master on, close-on-exec."""
    receiver, sender = _socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    return receiver.detach(), sender.detach()
