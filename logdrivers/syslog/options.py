"""syslog options, parsed once, with Docker's validation and texts (daemon/logger/syslog/syslog.go).

Docker reads the TLS files only when the container starts; here they are loaded when the options are parsed,
so a missing or unreadable certificate is refused at create instead of failing the shipping later.
"""

import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from logdrivers.attrs import ATTR_KEYS, AttrOptions, parse_attr_options
from logdrivers.common_options import reject_unknown_keys
from logdrivers.errors import InvalidLogOpt
from logdrivers.tag import TagTemplate, parse_tag_template

DRIVER = "syslog"
DEFAULT_PORT = 514
SECURE = "tcp+tls"
KNOWN_KEYS = ATTR_KEYS | {
    "tag",
    "syslog-address",
    "syslog-facility",
    "syslog-format",
    "syslog-tls-ca-cert",
    "syslog-tls-cert",
    "syslog-tls-key",
    "syslog-tls-skip-verify",
}
FACILITIES = {
    name: code
    for code, name in enumerate(
        (
            "kern",
            "user",
            "mail",
            "daemon",
            "auth",
            "syslog",
            "lpr",
            "news",
            "uucp",
            "cron",
            "authpriv",
            "ftp",
        )
    )
} | {f"local{n}": 16 + n for n in range(8)}
FORMATS = ("", "rfc3164", "rfc5424", "rfc5424micro")
_ATOI = re.compile(r"[+-]?\d+")
Protocol = Literal["udp", "tcp", "tcp+tls", "unix", "unixgram", ""]


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca_cert: str = ""
    cert: str = ""
    key: str = ""
    skip_verify: bool = False  # Docker: the key's presence, whatever its value

    def context(self) -> ssl.SSLContext:
        """The client context Docker's tlsconfig.Client builds: the system roots plus the CA file, TLS 1.2 or
        later, the client certificate if given. InvalidLogOpt (with go-connections' texts) for a bad file."""
        context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.ca_cert:
            try:
                context.load_verify_locations(cafile=self.ca_cert)
            except (OSError, ssl.SSLError) as exc:
                raise _fail("syslog-tls-ca-cert", f'Could not read CA certificate "{self.ca_cert}": {exc}') from None
        if self.cert or self.key:
            try:
                context.load_cert_chain(self.cert, self.key or None)
            except (OSError, ssl.SSLError) as exc:
                raise _fail("syslog-tls-cert", f"Could not load X509 key pair: {exc}") from None
        if self.skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


@dataclass(frozen=True, slots=True)
class SyslogOptions:
    protocol: Protocol = ""  # "": the local syslog daemon (/dev/log, unixgram then unix), as Docker's default
    host: str = ""
    port: int = DEFAULT_PORT
    path: str = ""  # unix and unixgram
    facility: int = 3  # daemon
    format: str = ""  # "" is Docker's default: the local (unix) format, no hostname
    tls: TlsFiles = TlsFiles()
    attrs: AttrOptions = AttrOptions()
    tag: TagTemplate = parse_tag_template("{{.ID}}", DRIVER)

    @property
    def address(self) -> str:
        if self.protocol in ("unix", "unixgram"):
            return f"{self.protocol}://{self.path}"
        return f"{self.protocol}://{self.host}:{self.port}" if self.protocol else "the local syslog socket"


def _fail(key: str, why: str) -> InvalidLogOpt:
    return InvalidLogOpt(key, DRIVER, why)


def parse_address(address: str) -> tuple[Protocol, str, int, str]:
    """Docker's parseAddress: (protocol, host, port, path); ValueError with Docker's text."""
    if not address:
        return "", "", DEFAULT_PORT, ""
    parts = urlsplit(address)
    scheme = parts.scheme
    if scheme in ("unix", "unixgram"):
        os.stat(parts.path)  # Docker stats the socket when validating: FileNotFoundError names it
        return scheme, "", DEFAULT_PORT, parts.path
    if scheme not in ("udp", "tcp", SECURE):
        raise ValueError(f"unsupported scheme: '{scheme}'")
    netloc = parts.netloc
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        port_text = rest.removeprefix(":") if rest.startswith(":") else ""
    elif netloc.count(":") > 1:
        raise ValueError(f"address {netloc}: too many colons in address")
    else:
        host, _, port_text = netloc.partition(":")
    if not port_text:
        return scheme, host, DEFAULT_PORT, ""
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f'parse "{address}": invalid port ":{port_text}" after host')
    return scheme, host, int(port_text), ""


def parse_facility(text: str) -> int:
    """A facility name or number 0-23 (Docker's parseFacility); the facility code, not yet shifted."""
    if not text:
        return FACILITIES["daemon"]
    if text in FACILITIES:
        return FACILITIES[text]
    if _ATOI.fullmatch(text) and 0 <= int(text) <= 23:
        return int(text)
    raise ValueError("invalid syslog facility")


def parse_options(opts: Mapping[str, str]) -> SyslogOptions:
    """Unknown keys first, then the address, the facility and the format, as Docker's ValidateLogOpt."""
    reject_unknown_keys(opts, KNOWN_KEYS, DRIVER)
    try:
        protocol, host, port, path = parse_address(opts.get("syslog-address", ""))
    except OSError as exc:
        raise _fail("syslog-address", f"stat {exc.filename}: {os.strerror(exc.errno or 0).lower()}") from None
    except ValueError as exc:
        raise _fail("syslog-address", str(exc)) from None
    try:
        facility = parse_facility(opts.get("syslog-facility", ""))
    except ValueError as exc:
        raise _fail("syslog-facility", str(exc)) from None
    format_ = opts.get("syslog-format", "")
    if format_ not in FORMATS:
        raise _fail("syslog-format", "invalid syslog format")
    tls = TlsFiles(
        opts.get("syslog-tls-ca-cert", ""),
        opts.get("syslog-tls-cert", ""),
        opts.get("syslog-tls-key", ""),
        "syslog-tls-skip-verify" in opts,
    )
    if protocol == SECURE:
        tls.context()  # loaded now so that a bad file is refused at create; the driver loads them again
    return SyslogOptions(
        protocol=protocol,
        host=host,
        port=port,
        path=path,
        facility=facility,
        format=format_,
        tls=tls,
        attrs=parse_attr_options(opts, DRIVER),
        tag=parse_tag_template(opts.get("tag") or "{{.ID}}", DRIVER),
    )
