"""fluentd options, parsed once, with Docker's validation order and texts (daemon/logger/fluentd/fluentd.go)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from logdrivers.attrs import ATTR_KEYS, AttrOptions, parse_attr_options
from logdrivers.common_options import reject_unknown_keys
from logdrivers.errors import InvalidLogOpt
from logdrivers.goparse import format_duration, parse_bool, parse_duration_ns, parse_uint
from logdrivers.sizes import parse_binary_size
from logdrivers.tag import TagTemplate, parse_tag_template

DRIVER = "fluentd"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 24224
MAX_INT32 = 2**31 - 1
KNOWN_KEYS = ATTR_KEYS | {
    "tag",
    "fluentd-address",
    "fluentd-async",
    "fluentd-async-reconnect-interval",
    "fluentd-buffer-limit",
    "fluentd-max-retries",
    "fluentd-request-ack",
    "fluentd-retry-wait",
    "fluentd-sub-second-precision",
    "fluentd-write-timeout",
    "fluentd-read-timeout",
}
_MIN_RECONNECT_NS, _MAX_RECONNECT_NS = 100 * 10**6, 10 * 10**9
_PORT = re.compile(r"\d*")


@dataclass(frozen=True, slots=True)
class FluentdAddress:
    protocol: str  # tcp | tls | unix
    host: str = ""
    port: int = 0
    path: str = ""  # unix only

    def __str__(self) -> str:
        return f"unix://{self.path}" if self.protocol == "unix" else f"{self.protocol}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class FluentdOptions:
    address: FluentdAddress = FluentdAddress("tcp", DEFAULT_HOST, DEFAULT_PORT)
    buffer_limit: int = 1024 * 1024  # events held in memory awaiting delivery (Docker: the async queue)
    retry_wait_s: float = 1.0  # first back-off; then x1.5 per failure, capped at 60 s (fluent-logger-golang)
    max_retries: int = MAX_INT32  # failures in a row before the outage is logged as an error
    async_: bool = False  # accepted for compatibility: shipping never blocks the container anyway
    reconnect_interval_s: float = 0.0  # re-dial this often (DNS-balanced collectors); 0 = keep the connection
    sub_second_precision: bool = False  # EventTime (ext type 0) instead of integer seconds
    request_ack: bool = False  # wait for the collector's {"ack": chunk} before a batch counts as shipped
    write_timeout_s: float = 0.0  # 0 = none
    read_timeout_s: float = 0.0  # 0 = none (the ack wait)
    attrs: AttrOptions = AttrOptions()
    tag: TagTemplate = parse_tag_template("{{.ID}}", DRIVER)


def parse_address(address: str) -> FluentdAddress:
    """Docker's parseAddress; raises ValueError with its text."""
    if not address:
        return FluentdAddress("tcp", DEFAULT_HOST, DEFAULT_PORT)
    if "://" not in address:
        address = "tcp://" + address
    parts = urlsplit(address)
    if parts.scheme == "unix":
        if not parts.path.lstrip("/"):
            raise ValueError("path is empty")
        return FluentdAddress("unix", path=parts.path)
    if parts.scheme not in ("tcp", "tls"):
        raise ValueError(f"unsupported scheme: '{parts.scheme}'")
    if parts.path:
        raise ValueError("should not contain a path element")
    host, port_text = _split_host_port(parts.netloc)
    if not _PORT.fullmatch(port_text):
        raise ValueError(f'parse "{address}": invalid port ":{port_text}" after host')
    port = DEFAULT_PORT
    if port_text:
        try:
            port = parse_uint(port_text, 16)
        except ValueError as exc:
            raise ValueError(f"invalid port: {exc}") from None
    return FluentdAddress(parts.scheme, host or DEFAULT_HOST, port)


def _split_host_port(netloc: str) -> tuple[str, str]:
    """ "h:p", "[v6]:p", ":p" or "h" into host and port text (either may be empty)."""
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        return host, rest.removeprefix(":")
    host, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
    return host, port


def _duration_s(opts: Mapping[str, str], key: str) -> float:
    """write/read timeouts: non-negative durations."""
    text = opts.get(key, "")
    if not text:
        return 0.0
    try:
        ns = parse_duration_ns(text)
    except ValueError as exc:
        raise InvalidLogOpt(key, DRIVER, f"invalid value for {key}: value must be a duration: {exc}") from None
    if ns < 0:
        raise InvalidLogOpt(key, DRIVER, f"invalid value for {key}: value must be a duration that is non-negative")
    return ns / 1e9


def _reconnect_interval_s(text: str) -> float:
    key = "fluentd-async-reconnect-interval"
    try:
        ns = parse_duration_ns(text)
    except ValueError as exc:
        raise InvalidLogOpt(key, DRIVER, f"invalid value for {key}: {exc}") from None
    if ns != 0 and not _MIN_RECONNECT_NS <= ns <= _MAX_RECONNECT_NS:
        why = f'invalid value for {key}: value ("{format_duration(ns)}") must be between 100ms and 10s'
        raise InvalidLogOpt(key, DRIVER, why)
    return ns / 1e9


def _bool(opts: Mapping[str, str], key: str) -> bool:
    text = opts.get(key, "")
    if not text:
        return False
    try:
        return parse_bool(text)
    except ValueError as exc:
        raise InvalidLogOpt(key, DRIVER, str(exc)) from None


def parse_options(opts: Mapping[str, str]) -> FluentdOptions:
    """Unknown keys first, then each value in Docker's order; errors carry Docker's texts."""
    reject_unknown_keys(opts, KNOWN_KEYS, DRIVER)
    given = opts.get("fluentd-address", "")
    try:
        address = parse_address(given)
    except ValueError as exc:
        raise InvalidLogOpt("fluentd-address", DRIVER, f"invalid fluentd-address ({given}): {exc}") from None
    buffer_limit = 1024 * 1024
    if limit_text := opts.get("fluentd-buffer-limit", ""):
        try:
            buffer_limit = parse_binary_size(limit_text)
        except ValueError as exc:
            raise InvalidLogOpt("fluentd-buffer-limit", DRIVER, str(exc)) from None
        if buffer_limit <= 0:
            raise InvalidLogOpt("fluentd-buffer-limit", DRIVER, f"must be positive, not '{limit_text}'")
    retry_wait_s = 1.0
    if opts.get("fluentd-retry-wait"):
        try:
            retry_wait_s = parse_duration_ns(opts["fluentd-retry-wait"]) / 1e9
        except ValueError as exc:
            raise InvalidLogOpt("fluentd-retry-wait", DRIVER, str(exc)) from None
    max_retries = MAX_INT32
    if opts.get("fluentd-max-retries"):
        try:
            max_retries = parse_uint(opts["fluentd-max-retries"], 32)
        except ValueError as exc:
            raise InvalidLogOpt("fluentd-max-retries", DRIVER, str(exc)) from None
        if max_retries > MAX_INT32:
            raise InvalidLogOpt("fluentd-max-retries", DRIVER, "invalid fluentd-max-retries: value out of range")
    async_ = _bool(opts, "fluentd-async")
    interval = opts.get("fluentd-async-reconnect-interval", "")
    reconnect_interval_s = _reconnect_interval_s(interval) if interval else 0.0
    return FluentdOptions(
        address=address,
        buffer_limit=buffer_limit,
        retry_wait_s=max(retry_wait_s, 0.0),
        max_retries=max_retries,
        async_=async_,
        reconnect_interval_s=reconnect_interval_s,
        sub_second_precision=_bool(opts, "fluentd-sub-second-precision"),
        request_ack=_bool(opts, "fluentd-request-ack"),
        write_timeout_s=_duration_s(opts, "fluentd-write-timeout"),
        read_timeout_s=_duration_s(opts, "fluentd-read-timeout"),
        attrs=parse_attr_options(opts, DRIVER),
        tag=parse_tag_template(opts.get("tag") or "{{.ID}}", DRIVER),
    )
