"""The dashboard's serving options, parsed once: where it listens, who may see it, whether it may act.

Containers' logs and environment are as sensitive as the containers themselves, so the dashboard serves
without a token only on loopback, and offers controls (stop, restart, pause) only behind a token.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from web.errors import InvalidOption, UnsafeExposure

_MIN_TOKEN_LENGTH = 16  # a guessable token is no protection on a network


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ServingOptions:
    listen: ListenAddress
    token: str | None
    controls: bool
    tls: TlsFiles | None = None  # HTTPS, for a dashboard off loopback: the token and the pages travel encrypted


@dataclass(frozen=True, slots=True)
class TlsFiles:
    cert: str
    key: str


def parse_listen(text: str) -> ListenAddress:
    """HOST:PORT or [IPv6]:PORT; the port is required (0 picks a free one)."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise InvalidOption(f"web: invalid --listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise InvalidOption(f"web: invalid --listen {text!r}: the port must be a number from 0 to 65535")
    return ListenAddress(host, port)


def is_loopback(host: str) -> bool:
    """True when every address the name resolves to is a loopback one (localhost, 127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address literal
        return _resolves_to_loopback(host)


def _resolves_to_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as e:
        raise InvalidOption(f"web: invalid --listen host {host!r}: {e.strerror}") from e
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def tls_files(cert: str | None, key: str | None, flag_prefix: str = "--") -> TlsFiles | None:
    """--tls-cert and --tls-key, both or neither, both readable; `flag_prefix` names them as the command spells
    them (`porthole daemon` says --web-tls-cert)."""
    if not cert and not key:
        return None
    cert_flag, key_flag = f"{flag_prefix}tls-cert", f"{flag_prefix}tls-key"
    if not (cert and key):
        raise InvalidOption(f"web: {cert_flag} and {key_flag} go together")
    for flag, path in ((cert_flag, cert), (key_flag, key)):
        try:
            with open(path, "rb"):
                pass
        except OSError as e:
            raise InvalidOption(f"web: cannot read {flag} {path}: {e.strerror}") from e
    return TlsFiles(cert, key)


def serving_options(listen: str, token: str | None, controls: bool, tls: TlsFiles | None = None) -> ServingOptions:
    """Check the combination: a token off loopback, a token for controls, a token long enough to matter."""
    address = parse_listen(listen)
    if token is not None and len(token) < _MIN_TOKEN_LENGTH:
        raise InvalidOption(f"web: invalid --token: it must be at least {_MIN_TOKEN_LENGTH} characters long")
    if token is None and not is_loopback(address.host):
        raise UnsafeExposure(
            f"web: refusing to listen on {address}: it is not a loopback address and no --token is set, so anyone "
            "who can reach it would read every container's logs and environment; pass --token (or "
            "--token-file), or listen on 127.0.0.1"
        )
    if controls and token is None:
        raise UnsafeExposure(
            "web: refusing --enable-controls without --token: stop, restart and pause need a token to log in with"
        )
    return ServingOptions(address, token, controls, tls)
