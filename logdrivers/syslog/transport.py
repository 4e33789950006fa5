"""Sockets to a syslog collector, as srslog dials them for Docker, and the framing of each transport.

udp and unixgram send one datagram per message. tcp and tcp+tls frame every message with RFC 6587's octet
counting ("LEN MSG", LEN the message's bytes, its newline included), which rsyslog and syslog-ng read
whatever the format (Docker counts octets only for rfc5424 over tcp+tls and ends plain TCP frames at the
newline; the message bytes are the same). unix streams end each message at its newline, as Docker's do. The
local default (no syslog-address) tries /dev/log and the other usual sockets, datagram first, as srslog does.
"""

import errno
import socket
from collections.abc import Sequence

from logdrivers.connections import peer_closed, shutdown_and_close
from logdrivers.syslog.options import SECURE, SyslogOptions

CONNECT_TIMEOUT_S = 3.0
LOCAL_PATHS = ("/dev/log", "/var/run/syslog", "/var/run/log")


class MessageTooLarge(OSError):
    """A datagram the socket can never take (EMSGSIZE): refused for good, not retried."""


class SyslogTransport:
    """One connection at a time; `send` raises OSError when the collector cannot be reached or fails."""

    def __init__(self, options: SyslogOptions) -> None:
        self._options = options
        self._tls = options.tls.context() if options.protocol == SECURE else None
        self._sock: socket.socket | None = None
        self.datagrams = options.protocol in ("udp", "unixgram")
        self._octet_counted = options.protocol in ("tcp", SECURE)

    def connect(self) -> None:
        """Dial if there is no live connection; a stream the collector closed is dialled again."""
        if self._sock is not None and not self.datagrams and peer_closed(self._sock):
            self.close()
        if self._sock is None:
            self._sock = self._dial()

    def send_datagram(self, message: bytes) -> None:
        assert self._sock is not None
        try:
            self._sock.send(message)
        except OSError as exc:
            if exc.errno == errno.EMSGSIZE:
                raise MessageTooLarge(exc.errno, f"syslog message of {len(message)} bytes: {exc.strerror}") from exc
            self.close()  # ECONNREFUSED and the like: the next attempt dials again
            raise

    def refused_since_last_send(self) -> bool:
        """Over UDP a closed port is reported by ICMP after the datagram left: on loopback at once, as an error
        pending on the socket. Taking it here tells that the last datagram sent was refused."""
        if self._sock is None or self._options.protocol != "udp":
            return False
        error = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error == errno.ECONNREFUSED:
            self.close()
            return True
        return False

    def send_stream(self, messages: Sequence[bytes]) -> None:
        assert self._sock is not None
        if self._octet_counted:
            data = b"".join([b"%d %s" % (len(m), m) for m in messages])
        else:
            data = b"".join(messages)
        try:
            self._sock.sendall(data)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self.datagrams or self._options.protocol == "":
            sock.close()
        else:
            shutdown_and_close(sock)

    def _dial(self) -> socket.socket:
        options = self._options
        if options.protocol == "":
            return self._dial_local()
        if options.protocol in ("unix", "unixgram"):
            kind = socket.SOCK_DGRAM if options.protocol == "unixgram" else socket.SOCK_STREAM
            return _connect(socket.socket(socket.AF_UNIX, kind), options.path)
        kind = socket.SOCK_DGRAM if options.protocol == "udp" else socket.SOCK_STREAM
        family, kind, proto, _, address = socket.getaddrinfo(options.host, options.port, type=kind)[0]
        sock = _connect(socket.socket(family, kind, proto), address)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            try:
                return self._tls.wrap_socket(sock, server_hostname=options.host)
            except BaseException:
                sock.close()
                raise
        return sock

    def _dial_local(self) -> socket.socket:
        """srslog's unixSyslog: unixgram then unix, on each of the usual paths."""
        failure: OSError | None = None
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            for path in LOCAL_PATHS:
                try:
                    sock = _connect(socket.socket(socket.AF_UNIX, kind), path)
                except OSError as exc:
                    failure = exc
                    continue
                self.datagrams = kind == socket.SOCK_DGRAM
                return sock
        raise ConnectionError(f"Unix syslog delivery error: {failure}")


def _connect(sock: socket.socket, address: object) -> socket.socket:
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    sock.settimeout(None)
    return sock
