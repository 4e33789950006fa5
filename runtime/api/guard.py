"""Checks every request passes before it is routed, against the attacks a probe of the daemon found: request
smuggling through a malformed or doubled Content-Length, cross-site requests from web pages (a browser sends
text/plain and form bodies, and empty POSTs, cross-origin without a preflight) and DNS rebinding (a page whose
name resolves to 127.0.0.1 reaches a TCP listener with its own name as Host)."""

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from runtime.errors import Forbidden, InvalidParameter

_DIGITS = re.compile(r"[0-9]{1,19}")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def body_length(headers) -> int | None:
    """The body's framing: its Content-Length, None for chunked; 400 for anything a proxy could read otherwise
    (a length that is not plain decimal digits, two lengths, a length beside chunked encoding)."""
    lengths = headers.get_all("Content-Length") or []
    chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
    if len(lengths) > 1 and len(set(lengths)) > 1:
        raise InvalidParameter("bad request: conflicting Content-Length headers")
    if chunked and lengths:
        raise InvalidParameter("bad request: both Content-Length and chunked Transfer-Encoding")
    if chunked:
        return None
    if not lengths:
        return 0
    text = lengths[0].strip()
    if not _DIGITS.fullmatch(text):
        raise InvalidParameter(f"bad request: invalid Content-Length {lengths[0]!r}")
    return int(text)


def check_json_content_type(headers, has_body: bool) -> None:
    """moby's CheckForJSON: no Content-Type is fine only without a body; otherwise it must be JSON."""
    content_type = headers.get("Content-Type") or ""
    if not content_type and not has_body:
        return
    mimetype = content_type.split(";", 1)[0].strip().lower()
    if not mimetype or "/" not in mimetype:
        raise InvalidParameter(f"malformed Content-Type header ({content_type}): mime: no media type")
    if mimetype != "application/json":
        raise InvalidParameter(f"unsupported Content-Type header ({content_type}): must be 'application/json'")


def refuse_web_pages(headers) -> None:
    """No client of the Engine API sends Origin; a browser does on every cross-origin POST."""
    origin = headers.get("Origin")
    if origin is not None:
        raise Forbidden(f"porthole: requests from web pages are refused (Origin: {origin})")


@dataclass(frozen=True)
class HostCheck:
    """The names a TCP listener answers to: loopback names and addresses, this machine's name, the address the
    connection came in on, and those given with --api-host. A rebound DNS name is none of these."""

    names: frozenset[str]

    @classmethod
    def for_listener(cls, listen_host: str, extra: Iterable[str]) -> "HostCheck":
        names = {*LOOPBACK_NAMES, socket.gethostname().lower(), *(n.lower() for n in extra)}
        if listen_host not in ("", "0.0.0.0", "::"):
            names.add(listen_host.lower().strip("[]"))
        return cls(frozenset(names))

    def check(self, host_header: str | None, local_address: str) -> None:
        host = _strip_port(host_header or "")
        if host in self.names or _is_local_literal(host, local_address):
            return
        raise Forbidden(
            f"porthole: Host {host_header!r} is not a name of this daemon (add it with --api-host if it is)"
        )


def _strip_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_local_literal(host: str, local_address: str) -> bool:
    """An address literal cannot be rebound: a loopback one, or the one the request was sent to."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or host == local_address
