"""The journald driver: one datagram per entry to the journal's native socket, a sealed memfd for an entry too
large for a datagram (as sd_journal_send does); one delivery attempt per call, the shipper waits and retries.

The journal socket is local and a datagram to it either lands or fails (ENOENT or ECONNREFUSED while journald
is down, EAGAIN never: the socket blocks while journald's queue is full), so no entry is lost to an outage. The
socket is connected once rather than addressed per datagram: sendto() resolves the path every time, which
doubled the CPU of each entry (10 against 5 us here, the receiver's side included). A batch's entries go out
through sendmmsg, many datagrams to a system call (logdrivers.journald.sendmmsg says why).
"""

import array
import errno
import fcntl
import os
import socket
from collections.abc import Sequence
from typing import ClassVar

from logdrivers.driver import DeliveryFailed
from logdrivers.info import ContainerInfo
from logdrivers.journald.encode import JournalEncoder
from logdrivers.journald.options import JournaldOptions
from logdrivers.journald.sendmmsg import DatagramBatch
from logdrivers.message import LineBatch, Message

FIRST_RETRY_S, MAX_RETRY_S = 0.1, 5.0
_SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL


class JournaldDriver:
    name: ClassVar[str] = "journald"

    def __init__(self, info: ContainerInfo, options: JournaldOptions, socket_path: str) -> None:
        self._encoder = JournalEncoder(info, options)
        self._path = socket_path
        self._sock: socket.socket | None = None
        self._batch = DatagramBatch()

    def log(self, msg: Message) -> None:
        self.ship((msg,))

    def log_batch(self, batch: LineBatch) -> None:
        self.ship(list(batch.messages()))

    def ship(self, messages: Sequence[Message]) -> int:
        """Send each message as one entry (one datagram), in order; refuses none. The batch is encoded first,
        then sent a run of datagrams to a system call; an entry too large for a datagram goes alone, in a memfd."""
        try:
            sock = self._connection()
        except OSError as exc:
            raise DeliveryFailed(0, exc) from exc
        tails = self._encoder.encode_tails(messages)
        batch, fd, sent = self._batch, sock.fileno(), 0
        batch.load(tails, self._encoder.head)
        try:
            while sent < len(tails):
                try:
                    sent += batch.send(fd, sent)
                except OSError as exc:
                    if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS):
                        raise
                    self._send_memfd(sock, self._encoder.head + tails[sent])
                    sent += 1
        except OSError as exc:
            self._encoder.ordinal -= len(tails) - sent  # not sent: the next attempt numbers them again
            self.close()  # journald restarted or gone: the next attempt connects to the socket anew
            raise DeliveryFailed(sent, exc) from exc
        finally:
            batch.clear()
        return 0

    def retry_delay(self, failures: int) -> float:
        return min(FIRST_RETRY_S * 2 ** max(failures - 1, 0), MAX_RETRY_S)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _connection(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            try:
                sock.connect(self._path)
            except BaseException:
                sock.close()
                raise
            self._sock = sock
        return self._sock

    def _send_memfd(self, sock: socket.socket, entry: bytes) -> None:
        """The entry in a sealed memory file whose descriptor goes alone in the datagram (journald accepts a
        memfd only once it is sealed against writes and resizing)."""
        fd = os.memfd_create("journal-entry", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            view = memoryview(entry)
            while view:
                view = view[os.write(fd, view) :]
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
            sock.sendmsg([], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
        finally:
            os.close(fd)
