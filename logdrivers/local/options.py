"""local options, parsed once, with Docker's defaults, order and texts (daemon/logger/local/config.go)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from logdrivers.attrs import ATTR_KEYS, AttrOptions, parse_attr_options
from logdrivers.errors import InvalidLogOpt
from logdrivers.goparse import parse_bool
from logdrivers.sizes import parse_si_size
from logdrivers.tag import TagTemplate, parse_tag_template

DRIVER = "local"
KNOWN_KEYS = frozenset({"max-size", "max-file", "compress", "tag"}) | ATTR_KEYS
DEFAULT_MAX_SIZE = 20 * 1024 * 1024  # Docker's defaultMaxFileSize (binary, unlike the option's SI units)
DEFAULT_MAX_FILE = 5
_ATOI = re.compile(r"[+-]?\d+")


class LocalUnknownLogOpt(InvalidLogOpt):
    """Docker's local driver words this one its own way."""

    def __init__(self, key: str) -> None:
        super().__init__(key, DRIVER, "unknown log opt")

    def describe(self) -> str:
        return f"unknown log opt '{self.key}' for log driver local"


@dataclass(frozen=True, slots=True)
class LocalOptions:
    max_size: int = DEFAULT_MAX_SIZE  # bytes; the file is rotated before an entry once it holds this much
    max_file: int = DEFAULT_MAX_FILE  # files kept, the current one included
    compress: bool = True  # gzip rotated files
    attrs: AttrOptions = AttrOptions()
    tag: TagTemplate | None = None  # an attribute only when the user set one, as json-file


def _fail(key: str, why: str) -> InvalidLogOpt:
    return InvalidLogOpt(key, DRIVER, why)


def parse_options(opts: Mapping[str, str]) -> LocalOptions:
    for key in opts:
        if key not in KNOWN_KEYS:
            raise LocalUnknownLogOpt(key)
    max_size, max_file, compress = DEFAULT_MAX_SIZE, DEFAULT_MAX_FILE, True
    if "max-size" in opts:
        text = opts["max-size"]
        try:
            max_size = parse_si_size(text)
        except ValueError as exc:
            raise _fail("max-size", f"invalid value for max-size: {text}: {exc}") from None
    if "max-file" in opts:
        text = opts["max-file"]
        if not _ATOI.fullmatch(text):
            raise _fail(
                "max-file", f'invalid value for max-file: {text}: strconv.Atoi: parsing "{text}": invalid syntax'
            )
        max_file = int(text)
    if "compress" in opts:
        try:
            compress = parse_bool(opts["compress"])
        except ValueError as exc:
            raise _fail("compress", f"invalid boolean value for compress: {exc}") from None
    if max_size < 0:
        raise _fail("max-size", "max-size must not be negative")
    if max_file < 0:
        raise _fail("max-file", "max-file must not be negative")
    if compress and max_file <= 1:
        raise _fail("compress", "compression cannot be enabled when max file count is 1")
    tag = parse_tag_template(opts["tag"], DRIVER) if opts.get("tag") else None
    return LocalOptions(max_size, max_file, compress, parse_attr_options(opts, DRIVER), tag)
