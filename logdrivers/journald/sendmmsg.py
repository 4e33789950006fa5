"""sendmmsg(2) over libc through ctypes: many datagrams in one system call (Python's socket has no sendmmsg).

Why: journald's native protocol takes one entry per datagram, and a sock.send() per entry paid a system call's
entry and exit and Python's call machinery for each ~485-byte entry. One sendmmsg pays them once for many
datagrams; the kernel still queues each datagram on its own, in order, so the receiver sees exactly what one
send() per entry gave it. Laying the entries out in one buffer and writing the iovecs with slice copies keeps the
Python work per entry to a few C-speed array steps. Each datagram is gathered by the kernel from two pieces, a
head shared by the whole batch and the datagram's own tail, so the entries are never joined in Python.
"""

import ctypes
import errno
import os
from array import array
from collections.abc import Sequence
from itertools import accumulate

# Datagrams to a call, at most the kernel's UIO_MAXIOV (1024): 64, 256 and 1024 cost the same per entry here
# (within the noise), a call's fixed cost being spread thin by all three; 256 keeps the arrays at 20 KiB a driver.
WINDOW = 256

_libc = ctypes.CDLL(None, use_errno=True)  # the running interpreter's libc


class _MsgHdr(ctypes.Structure):  # struct msghdr, as glibc lays it out
    _fields_ = [
        ("msg_name", ctypes.c_void_p),
        ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.c_void_p),
        ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p),
        ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    ]


class MMsgHdr(ctypes.Structure):  # struct mmsghdr: a message and the bytes the kernel sent (or received) of it
    _fields_ = [("msg_hdr", _MsgHdr), ("msg_len", ctypes.c_uint)]


def message_headers(count: int, pieces: int = 1) -> tuple[ctypes.Array, ctypes.Array]:
    """`count` struct mmsghdr, each pointing to `pieces` struct iovec of its own, and those iovecs, to be filled
    in: a struct iovec is (iov_base, iov_len), two machine words (an unsigned long on Linux), so with one piece
    the even words of the second array are the datagrams' addresses and the odd ones their lengths."""
    words = 2 * pieces
    iovecs = (ctypes.c_ulong * (words * count))()
    headers = (MMsgHdr * count)()
    for index, header in enumerate(headers):
        header.msg_hdr.msg_iov = ctypes.addressof(iovecs) + index * words * ctypes.sizeof(ctypes.c_ulong)
        header.msg_hdr.msg_iovlen = pieces
    return headers, iovecs


_sendmmsg = _libc.sendmmsg
_sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
_sendmmsg.restype = ctypes.c_int


class DatagramBatch:
    """Datagrams made of a head they all share and a tail of their own, the tails laid out back to back in one
    buffer, sent in order on a connected socket, up to WINDOW to a system call. The WINDOW message headers and
    their iovecs (head, tail) are made once; loading writes the head's into all of them, and a call writes its
    window's tails (addresses and lengths) in two C-speed slice copies, not a Python statement per datagram."""

    def __init__(self) -> None:
        self._headers, iovecs = message_headers(WINDOW, pieces=2)
        self._iovec_words = memoryview(iovecs).cast("B").cast("L")
        self.clear()

    def __len__(self) -> int:
        return len(self._lengths)

    def load(self, tails: Sequence[bytes], head: bytes = b"") -> None:
        """Make `head` + each of `tails` the datagrams that send() sends."""
        self._head, self._buffer = head, b"".join(tails)  # held while the kernel may read them
        self._iovec_words[0::4] = array("L", [ctypes.cast(head, ctypes.c_void_p).value or 0]) * WINDOW
        self._iovec_words[1::4] = array("L", [len(head)]) * WINDOW
        self._lengths = array("L", map(len, tails))
        self._addresses = array(
            "L", accumulate(self._lengths, initial=ctypes.cast(self._buffer, ctypes.c_void_p).value)
        )
        self._addresses.pop()  # where the buffer ends

    def clear(self) -> None:
        """Let go of the batch (a shipper's batch of 2048 entries is a MiB)."""
        self._head, self._buffer, self._lengths, self._addresses = b"", b"", array("L"), array("L")

    def send(self, fd: int, first: int) -> int:
        """Send the batch's datagrams from `first` on, in one system call; return how many went (at least one). A
        datagram that fails is the first not sent: OSError for it if it is the first of the call (the kernel
        reports a later one's error by stopping before it, so the next call starts with it and raises)."""
        count = min(len(self._lengths) - first, WINDOW)
        self._iovec_words[2 : 4 * count : 4] = self._addresses[first : first + count]
        self._iovec_words[3 : 4 * count : 4] = self._lengths[first : first + count]
        while True:
            sent = _sendmmsg(fd, self._headers, count, 0)
            if sent >= 0:
                return sent
            code = ctypes.get_errno()
            if code != errno.EINTR:  # a signal before the first datagram went: try again, as socket.send does
                raise OSError(code, os.strerror(code))
