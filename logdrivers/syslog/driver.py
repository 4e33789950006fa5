"""The syslog driver: one delivery attempt per call; the shipper that feeds it waits and retries.

Over tcp, tcp+tls and unix a batch goes out as one write of framed messages, so delivery is at-least-once:
a batch cut by a failure is sent again whole. Over udp and unixgram each message is a datagram with no
acknowledgement: a collector that is down loses what is sent to it unless the kernel reports the refusal. A
unix socket refuses the send itself; over UDP the refusal (ICMP port unreachable, at once on loopback) comes
after the datagram left and is reported with the next send or found pending after the batch, so the datagram
sent last before it is sent again. At-least-once holds over UDP only for a collector on the same host.
"""

import errno
import os
import socket
from collections.abc import Sequence
from typing import ClassVar

from logdrivers.driver import DeliveryFailed
from logdrivers.info import ContainerInfo
from logdrivers.message import LineBatch, Message
from logdrivers.syslog.encode import SyslogEncoder
from logdrivers.syslog.options import SyslogOptions
from logdrivers.syslog.transport import MessageTooLarge, SyslogTransport

FIRST_RETRY_S, MAX_RETRY_S = 0.1, 5.0


class SyslogDriver:
    name: ClassVar[str] = "syslog"

    def __init__(self, info: ContainerInfo, options: SyslogOptions) -> None:
        self.options = options
        # srslog's local connection always uses the unix format, whatever syslog-format says.
        format_ = options.format if options.protocol else ""
        hostname = info.hostname or socket.gethostname()
        self._encoder = SyslogEncoder(format_, options.facility, options.tag.render(info), os.getpid(), hostname)
        self._transport = SyslogTransport(options)

    def log(self, msg: Message) -> None:
        self.ship((msg,))

    def log_batch(self, batch: LineBatch) -> None:
        self.ship(list(batch.messages()))

    def ship(self, messages: Sequence[Message]) -> int:
        """Send `messages` in order; returns how many were refused for good (datagrams too large)."""
        self._transport.connect()
        if not self._transport.datagrams:
            encoded = self._encoder.encode(messages)
            if encoded:
                self._transport.send_stream(encoded)
            return 0
        refused, last_sent = 0, 0
        for index, msg in enumerate(messages):
            datagram = self._encoder.encode_one(msg)
            if datagram is None:
                continue
            try:
                self._transport.send_datagram(datagram)
            except MessageTooLarge:
                refused += 1
                continue
            except OSError as exc:
                after_refusal = exc.errno == errno.ECONNREFUSED and self.options.protocol == "udp"
                raise DeliveryFailed(last_sent if after_refusal else index, exc) from exc
            last_sent = index
        if self._transport.refused_since_last_send():
            refusal = ConnectionRefusedError(errno.ECONNREFUSED, "syslog collector port closed")
            raise DeliveryFailed(last_sent, refusal)
        return refused

    def retry_delay(self, failures: int) -> float:
        return min(FIRST_RETRY_S * 2 ** max(failures - 1, 0), MAX_RETRY_S)

    def close(self) -> None:
        self._transport.close()
