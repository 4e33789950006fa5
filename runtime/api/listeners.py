"""Where the Engine API listens, and how safely: a unix socket `root:<group>` 0660 (dockerd's `docker` group),
TCP with dockerd's TLS options (--tlsverify: client certificates signed by --tlscacert), and a refusal to
serve plain HTTP off loopback unless --insecure-tcp says so knowingly: whoever reaches the API is root here."""

import grp
import ipaddress
import logging
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("porthole.api")

DEFAULT_GROUP = "docker"


class ListenError(Exception):
    """A -H address or TLS option the daemon cannot serve; the message says which and why."""


@dataclass(frozen=True)
class ListenOptions:
    tls: bool = False  # --tls: TLS without client certificates
    tls_verify: bool = False  # --tlsverify: TLS, and a client certificate signed by tls_ca
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure_tcp: bool = False
    api_hosts: tuple[str, ...] = ()  # more names TCP clients may send as Host
    group: str = DEFAULT_GROUP  # the unix socket's group, when it exists

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.tls_verify


def is_loopback(hostname: str) -> bool:
    if hostname in ("localhost", ""):
        return hostname == "localhost"
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def split_tcp(address: str) -> tuple[str, int]:
    hostname, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ListenError(f"porthole: -H tcp://{address}: expected tcp://HOST:PORT")
    return hostname.strip("[]") or "127.0.0.1", int(port)


def insecure_warning(host: str) -> str:
    return (
        f"WARNING: API is accessible on {host.replace('tcp://', 'http://')} without encryption.\n"
        "         Access to the remote API is equivalent to root access on the host."
    )


def check_tcp(host: str, options: ListenOptions) -> str | None:
    """Refuse plain TCP off loopback unless --insecure-tcp; returns the warning to show when it is allowed."""
    hostname, _ = split_tcp(host.partition("://")[2])
    if options.tls_verify or is_loopback(hostname):
        return None
    if not options.insecure_tcp:
        raise ListenError(
            f"porthole: {host} is not a loopback address: an API there without --tlsverify gives root on this "
            "machine to anyone who reaches it; use --tlsverify with --tlscacert, --tlscert and --tlskey, or "
            "--insecure-tcp if that is really meant"
        )
    return insecure_warning(host)


def tls_context(options: ListenOptions) -> ssl.SSLContext:
    if not (options.tls_cert and options.tls_key):
        raise ListenError("porthole: --tls and --tlsverify need --tlscert and --tlskey")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # dockerd's minimum
    try:
        context.load_cert_chain(options.tls_cert, options.tls_key)
        if options.tls_verify:
            if not options.tls_ca:
                raise ListenError("porthole: --tlsverify needs --tlscacert to check client certificates with")
            context.load_verify_locations(options.tls_ca)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as e:
        raise ListenError(f"porthole: TLS options: {e}") from None
    return context


def secure_socket_file(path: Path, group: str) -> None:
    """root:<group> 0660 when the group exists (dockerd's), else root-only 0600: never world-writable."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        os.chmod(path, 0o600)
        return
    os.chown(path, 0, gid)
    os.chmod(path, 0o660)


def tls_wrap(context: ssl.SSLContext, connection: socket.socket) -> ssl.SSLSocket | None:
    """The handshake, in the connection's own thread (never in the accepting one); None if it fails."""
    try:
        return context.wrap_socket(connection, server_side=True)
    except (ssl.SSLError, OSError) as e:
        log.info("TLS handshake failed: %s", e)
        return None
