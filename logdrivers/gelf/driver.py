"""The gelf driver: one delivery attempt per call; the shipper that feeds it waits and retries.

Over UDP every message is compressed and sent on its own (chunked past 1420 bytes), as go-gelf does; a
message too large for 128 chunks is refused for good and counted. UDP has no acknowledgement: a collector
that is down loses datagrams unless the kernel reports it (ECONNREFUSED on loopback), so at-least-once holds
for TCP only. Over TCP a batch goes out as one run of NUL-terminated frames.
"""

import socket
from collections.abc import Sequence
from typing import ClassVar

from logdrivers.driver import DeliveryFailed
from logdrivers.gelf.encode import GelfEncoder
from logdrivers.gelf.options import GelfOptions
from logdrivers.gelf.transport import MessageTooLarge, TcpTransport, UdpTransport
from logdrivers.info import ContainerInfo
from logdrivers.message import LineBatch, Message

UDP_RETRY_DELAY_S = 1.0
MIN_RETRY_DELAY_S = 0.05  # gelf-tcp-reconnect-delay=0 must not spin


class GelfDriver:
    name: ClassVar[str] = "gelf"

    def __init__(self, info: ContainerInfo, options: GelfOptions) -> None:
        self.options = options
        self._encoder = GelfEncoder(info, options, info.hostname or socket.gethostname())
        self._udp: UdpTransport | None = None
        self._tcp: TcpTransport | None = None
        if options.protocol == "udp":
            self._udp = UdpTransport(options.host, options.port, options.compression, options.compression_level)
        else:
            self._tcp = TcpTransport(options.host, options.port)

    def log(self, msg: Message) -> None:
        self.ship((msg,))

    def log_batch(self, batch: LineBatch) -> None:
        self.ship(list(batch.messages()))

    def ship(self, messages: Sequence[Message]) -> int:
        """Send `messages` in order; returns how many were refused for good (too large for UDP)."""
        encoded = [self._encoder.encode(msg) for msg in messages]
        if self._tcp is not None:
            frames = [frame for frame in encoded if frame is not None]
            if frames:
                self._tcp.send_frames(frames)
            return 0
        assert self._udp is not None
        refused = 0
        for index, frame in enumerate(encoded):
            if frame is None:
                continue
            try:
                self._udp.send(frame)
            except MessageTooLarge:
                refused += 1
            except OSError as exc:
                raise DeliveryFailed(index, exc) from exc
        return refused

    def retry_delay(self, failures: int) -> float:
        del failures  # go-gelf waits the same delay before every reconnect
        if self._tcp is not None:
            return max(float(self.options.tcp_reconnect_delay_s), MIN_RETRY_DELAY_S)
        return UDP_RETRY_DELAY_S

    def close(self) -> None:
        for transport in (self._udp, self._tcp):
            if transport is not None:
                transport.close()
