"""gelf options, parsed once, with Docker's validation and texts (daemon/logger/gelf/gelf.go)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast
from urllib.parse import urlsplit

from logdrivers.attrs import AttrOptions, parse_attr_options
from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.tag import TagTemplate, parse_tag_template

DRIVER = "gelf"
_INT = re.compile(r"[+-]?\d+")
_COMPRESSION_TYPES = ("gzip", "zlib", "none")


@dataclass(frozen=True, slots=True)
class GelfOptions:
    protocol: Literal["udp", "tcp"]
    host: str
    port: int
    compression: Literal["gzip", "zlib", "none"] = "gzip"  # UDP only
    compression_level: int = 1  # -1..9; Go's flate.BestSpeed by default
    tcp_max_reconnect: int = 3  # failed attempts in a row before the outage is logged as an error
    tcp_reconnect_delay_s: int = 1  # seconds between attempts
    attrs: AttrOptions = AttrOptions()
    tag: TagTemplate = parse_tag_template("{{.ID}}", DRIVER)


def _fail(key: str, why: str) -> InvalidLogOpt:
    return InvalidLogOpt(key, DRIVER, why)


def _parse_address(address: str) -> tuple[Literal["udp", "tcp"], str, int]:
    key = "gelf-address"
    if not address:
        raise _fail(key, "gelf-address is a required parameter")
    if not address.startswith(("tcp://", "udp://")):  # Docker's urlutil.IsTransportURL, then the scheme check
        if "://" in address:
            raise _fail(key, "gelf: endpoint needs to be TCP or UDP")
        raise _fail(key, f"gelf-address should be in form proto://address, got {address}")
    parts = urlsplit(address)
    host, sep, port = parts.netloc.rpartition(":")
    if not sep or (":" in host and not host.startswith("[")):
        raise _fail(key, "gelf: please provide gelf-address as proto://host:port")
    if not port.isdigit() or int(port) > 65535:
        raise _fail(key, f"gelf: invalid port in gelf-address {address}")
    scheme: Literal["udp", "tcp"] = "udp" if parts.scheme == "udp" else "tcp"
    return scheme, host.strip("[]"), int(port)


def _int_in(opts: Mapping[str, str], key: str, low: int, high: int, why: str) -> int | None:
    text = opts.get(key)
    if text is None:
        return None
    if not _INT.fullmatch(text) or not low <= int(text) <= high:
        raise _fail(key, why)
    return int(text)


def parse_options(opts: Mapping[str, str]) -> GelfOptions:
    """The address first, then every key: unknown keys and transport mismatches are refused."""
    protocol, host, port = _parse_address(opts.get("gelf-address", ""))
    for key in opts:
        if key in ("gelf-compression-level", "gelf-compression-type") and protocol != "udp":
            raise _fail(key, "compression is only supported on UDP")
        if key in ("gelf-tcp-max-reconnect", "gelf-tcp-reconnect-delay") and protocol != "tcp":
            raise _fail(key, f'"{key}" is only valid for TCP')
        if key not in _KNOWN_KEYS:
            raise UnknownLogOpt(key, DRIVER)
    compression = opts.get("gelf-compression-type", "gzip")
    if compression not in _COMPRESSION_TYPES:
        raise _fail(
            "gelf-compression-type",
            f'unknown value "{compression}" for log opt "gelf-compression-type" for gelf log driver',
        )
    level_text = opts.get("gelf-compression-level")
    level_why = f'unknown value "{level_text}" for log opt "gelf-compression-level" for gelf log driver'
    level = _int_in(opts, "gelf-compression-level", -1, 9, level_why)
    positive = '"{}" must be a positive integer'
    reconnects = _int_in(opts, "gelf-tcp-max-reconnect", 0, 2**31 - 1, positive.format("gelf-tcp-max-reconnect"))
    delay = _int_in(opts, "gelf-tcp-reconnect-delay", 0, 2**31 - 1, positive.format("gelf-tcp-reconnect-delay"))
    return GelfOptions(
        protocol=protocol,
        host=host,
        port=port,
        compression=cast(Literal["gzip", "zlib", "none"], compression),
        compression_level=1 if level is None else level,
        tcp_max_reconnect=3 if reconnects is None else reconnects,
        tcp_reconnect_delay_s=1 if delay is None else delay,
        attrs=parse_attr_options(opts, DRIVER),
        tag=parse_tag_template(opts.get("tag") or "{{.ID}}", DRIVER),
    )


_KNOWN_KEYS = frozenset(
    {
        "gelf-address",
        "tag",
        "labels",
        "labels-regex",
        "env",
        "env-regex",
        "gelf-compression-level",
        "gelf-compression-type",
        "gelf-tcp-max-reconnect",
        "gelf-tcp-reconnect-delay",
    }
)
