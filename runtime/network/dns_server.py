"""The embedded DNS: for each container on a user-defined network, a UDP and a TCP socket bound to
127.0.0.11 at random ports *inside the container's namespace*, all served by one selector thread of the
daemon (sockets keep their namespace, so the daemon need not enter it again). Names it does not know go, as
in Docker, to the container's own `--dns` servers, asked from inside its namespace; a container without
goes to the daemon's `--dns-upstream` servers, asked from the host's; with neither they are NXDOMAIN here.
Forwarding runs on a small pool of threads.
"""

import logging
import queue
import selectors
import socket
import struct
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dns.exception

from runtime.errors import HostError
from runtime.network.dns_answers import EMPTY_VIEW, DnsView, answer, servfail
from runtime.network.firewall_rules import DNS_ADDRESS
from runtime.network.netns import run_in_netns

log = logging.getLogger(__name__)
_UPSTREAM_TIMEOUT = 2.0
_TCP_IDLE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Where one container's unknown names go, and from which namespace they are asked (None: the host's).
    A container's own servers are asked from its namespace, as Docker asks them: they are reached by its routes,
    whatever the host's are."""

    servers: tuple[tuple[str, int], ...] = ()
    netns: Path | None = None

    def open_socket(self) -> socket.socket:
        if self.netns is None:
            return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        return run_in_netns(self.netns, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))


@dataclass(frozen=True, slots=True)
class DnsSockets:
    udp: socket.socket
    tcp: socket.socket

    @property
    def ports(self) -> tuple[int, int]:
        return self.udp.getsockname()[1], self.tcp.getsockname()[1]

    def close(self) -> None:
        self.udp.close()
        self.tcp.close()


def _bind_dns_sockets() -> DnsSockets:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        udp.bind((DNS_ADDRESS, 0))
        tcp.bind((DNS_ADDRESS, 0))
        tcp.listen(16)
    except OSError:
        udp.close()
        tcp.close()
        raise
    udp.setblocking(False)
    tcp.setblocking(False)
    return DnsSockets(udp, tcp)


class EmbeddedDns:
    def __init__(self, upstreams: Sequence[tuple[str, int]] = ()) -> None:
        self.upstreams = Upstreams(tuple(upstreams))  # the daemon's, for containers without servers of their own
        self.answered = 0
        self.forwarded = 0
        self.dropped = 0  # malformed queries and replies that could not be sent
        self._views: Mapping[str, DnsView] = {}
        self._sockets: dict[str, DnsSockets] = {}
        self._upstreams: dict[str, Upstreams] = {}  # containers with servers of their own
        self._commands: queue.Queue = queue.Queue()
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        self._forwarders = ThreadPoolExecutor(max_workers=4, thread_name_prefix="porthole-dns-forward")
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="porthole-dns", daemon=True)
        self._thread.start()

    # -- control (any thread) --------------------------------------------------------------------------

    def attach(self, container_id: str, netns: Path, servers: Sequence[tuple[str, int]] = ()) -> tuple[int, int]:
        """Open the container's sockets inside its namespace; servers: its own upstreams (its `--dns`), asked
        from there. -> (udp port, tcp port) there."""
        self.detach(container_id)
        sockets = run_in_netns(netns, _bind_dns_sockets)
        self._call("add", container_id, sockets, Upstreams(tuple(servers), netns) if servers else None)
        return sockets.ports

    def detach(self, container_id: str) -> None:
        """Close the container's sockets (they hold its namespace alive)."""
        self._call("remove", container_id, None)

    def publish(self, views: Mapping[str, DnsView]) -> None:
        """Replace every container's view at once (an atomic reference swap; the loop never waits)."""
        self._views = dict(views)

    def close(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_writer.send(b"x")
        self._thread.join(timeout=5)
        self._forwarders.shutdown(wait=False, cancel_futures=True)
        for sockets in self._sockets.values():
            sockets.close()
        self._sockets.clear()
        self._selector.close()
        self._wake_reader.close()
        self._wake_writer.close()

    def _call(
        self, verb: str, container_id: str, sockets: DnsSockets | None, upstreams: Upstreams | None = None
    ) -> None:
        if not self._thread.is_alive():
            self._apply(verb, container_id, sockets, upstreams)
            return
        done = threading.Event()
        self._commands.put((verb, container_id, sockets, upstreams, done))
        self._wake_writer.send(b"x")
        done.wait(timeout=5)

    # -- the loop ------------------------------------------------------------------------------------

    def _apply(self, verb: str, container_id: str, sockets: DnsSockets | None, upstreams: Upstreams | None) -> None:
        self._upstreams.pop(container_id, None)
        old = self._sockets.pop(container_id, None)
        if old is not None:
            for sock in (old.udp, old.tcp):
                if sock.fileno() in self._selector.get_map():
                    self._selector.unregister(sock)
            old.close()
        if verb == "add" and sockets is not None:
            self._sockets[container_id] = sockets
            if upstreams is not None:
                self._upstreams[container_id] = upstreams
            self._selector.register(sockets.udp, selectors.EVENT_READ, (container_id, "udp"))
            self._selector.register(sockets.tcp, selectors.EVENT_READ, (container_id, "tcp"))

    def _serve(self) -> None:
        while not self._stopping.is_set():
            for key, _ in self._selector.select():
                if key.data is None:
                    self._wake_reader.recv(4096)
                    while not self._commands.empty():
                        verb, container_id, sockets, upstreams, done = self._commands.get()
                        self._apply(verb, container_id, sockets, upstreams)
                        done.set()
                    continue
                try:
                    if key.data[1] == "udp":
                        self._serve_udp(key.data[0], key.fileobj)
                    else:
                        self._accept_tcp(key.data[0], key.fileobj)
                except OSError:
                    self.dropped += 1
                    log.exception("embedded DNS: serving %s failed", key.data[0][:12])

    def upstreams_of(self, container_id: str) -> Upstreams:
        return self._upstreams.get(container_id, self.upstreams)

    def _resolve(self, container_id: str, query: bytes) -> bytes | None:
        """The local answer, or None when the query is to be forwarded. Counts malformed queries."""
        can_forward = bool(self.upstreams_of(container_id).servers)
        try:
            reply = answer(query, self._views.get(container_id, EMPTY_VIEW), can_forward)
        except dns.exception.DNSException as exc:
            self.dropped += 1
            log.debug("embedded DNS: malformed query for %s dropped: %s", container_id[:12], exc)
            return b""
        if reply is not None:
            self.answered += 1
        return reply

    def _serve_udp(self, container_id: str, sock: socket.socket) -> None:
        try:
            query, client = sock.recvfrom(4096)
        except BlockingIOError:
            return
        reply = self._resolve(container_id, query)
        if reply is None:
            self._forwarders.submit(self._forward_udp, sock, client, query, self.upstreams_of(container_id))
        elif reply:
            self._send(sock, reply, client)

    def _send(self, sock: socket.socket, reply: bytes, client: tuple[str, int]) -> None:
        try:
            sock.sendto(reply, client)
        except OSError as exc:
            self.dropped += 1
            log.debug("embedded DNS: reply to %s lost: %s", client, exc)

    def ask_upstreams(self, query: bytes, upstreams: Upstreams | None = None) -> bytes:
        """The first upstream's reply to query (the daemon's upstreams unless told others), or SERVFAIL when
        every one fails or stays silent."""
        upstreams = upstreams or self.upstreams
        for address in upstreams.servers:
            try:
                upstream = upstreams.open_socket()
            except (HostError, OSError) as exc:  # the namespace went with its container
                log.debug("embedded DNS: no socket for upstream %s:%d: %s", *address, exc)
                break
            with upstream:
                upstream.settimeout(_UPSTREAM_TIMEOUT)
                try:
                    upstream.sendto(query, address)
                    while True:
                        reply, source = upstream.recvfrom(65535)
                        if source == address and reply[:2] == query[:2]:
                            self.forwarded += 1
                            return reply
                except OSError as exc:
                    log.debug("embedded DNS: upstream %s:%d failed: %s", *address, exc)
        return servfail(query)

    def _forward_udp(self, sock: socket.socket, client: tuple[str, int], query: bytes, upstreams: Upstreams) -> None:
        self._send(sock, self.ask_upstreams(query, upstreams), client)

    def _accept_tcp(self, container_id: str, listener: socket.socket) -> None:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return
        threading.Thread(target=self._serve_tcp, args=(container_id, conn), daemon=True).start()

    def _serve_tcp(self, container_id: str, conn: socket.socket) -> None:
        with conn:
            conn.setblocking(True)
            conn.settimeout(_TCP_IDLE_TIMEOUT)
            try:
                while (header := conn.recv(2, socket.MSG_WAITALL)) and len(header) == 2:
                    query = conn.recv(struct.unpack("!H", header)[0], socket.MSG_WAITALL)
                    reply = self._resolve(container_id, query)
                    if reply is None:
                        reply = self.ask_upstreams(query, self.upstreams_of(container_id))
                    if not reply:
                        return
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError as exc:
                log.debug("embedded DNS: tcp client of %s: %s", container_id[:12], exc)
