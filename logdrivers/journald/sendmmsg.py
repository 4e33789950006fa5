"""sendmmsg(2) over libc through ctypes: many datagrams in one system call (Python's socket has no sendmmsg).

Why: journald's native protocol takes one entry per datagram, and a sock.send() per entry was most of the
driver's cost (the system call's entry and exit and Python's call machinery, paid per ~485-byte entry). One
sendmmsg pays them once for up to UIO_MAXIOV datagrams; the kernel still queues each datagram on its own, in
order, so the receiver sees exactly what one send() per entry gave it.
"""

import ctypes
import errno
import os
from array import array
from collections.abc import Sequence
from itertools import accumulate

UIO_MAXIOV = 1024  # the kernel's cap on the datagrams of one sendmmsg call (include/uapi/linux/uio.h)

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


class _MMsgHdr(ctypes.Structure):  # struct mmsghdr: a message and the bytes the kernel sent of it
    _fields_ = [("msg_hdr", _MsgHdr), ("msg_len", ctypes.c_uint)]


_sendmmsg = _libc.sendmmsg
_sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
_sendmmsg.restype = ctypes.c_int


class DatagramBatch:
    """Datagrams laid out back to back in one buffer, sent in order on a connected socket. The message headers
    and their iovecs are made once (and again only for a larger batch); loading a batch writes the iovecs'
    addresses and lengths in a few C-speed array operations, not a Python statement per datagram."""

    def __init__(self) -> None:
        self._capacity = 0
        self._buffer = b""  # held while the kernel may read it
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def load(self, datagrams: Sequence[bytes]) -> None:
        """Make `datagrams` the batch that send() sends."""
        if len(datagrams) > self._capacity:
            self._allocate(len(datagrams))
        self._buffer = b"".join(datagrams)
        lengths = array("L", map(len, datagrams))
        addresses = array("L", accumulate(lengths, initial=ctypes.cast(self._buffer, ctypes.c_void_p).value))
        addresses.pop()  # where the buffer ends
        # struct iovec is (iov_base, iov_len), two machine words (an unsigned long on Linux): the even words are
        # the datagrams' addresses, the odd ones their lengths.
        words = len(lengths) * 2
        self._iovec_words[0:words:2] = addresses
        self._iovec_words[1:words:2] = lengths
        self._count = len(lengths)

    def send(self, fd: int, first: int) -> int:
        """Send the batch's datagrams from `first` on, in one system call; return how many went (at least one). A
        datagram that fails is the first not sent: OSError for it if it is the first of the call (the kernel
        reports a later one's error by stopping before it, so the next call starts with it and raises)."""
        header = ctypes.addressof(self._headers) + first * ctypes.sizeof(_MMsgHdr)
        while True:
            sent = _sendmmsg(fd, header, min(self._count - first, UIO_MAXIOV), 0)
            if sent >= 0:
                return sent
            code = ctypes.get_errno()
            if code != errno.EINTR:  # a signal before the first datagram went: try again, as socket.send does
                raise OSError(code, os.strerror(code))

    def _allocate(self, capacity: int) -> None:
        self._iovecs = (ctypes.c_ulong * (capacity * 2))()
        self._iovec_words = memoryview(self._iovecs).cast("B").cast("L")
        self._headers = (_MMsgHdr * capacity)()
        iovec_size = 2 * ctypes.sizeof(ctypes.c_ulong)
        for index, header in enumerate(self._headers):
            header.msg_hdr.msg_iov = ctypes.addressof(self._iovecs) + index * iovec_size
            header.msg_hdr.msg_iovlen = 1
        self._capacity = capacity
