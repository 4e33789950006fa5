"""json-file options, parsed once: the same function validates at container create and builds at start."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from logdrivers.attrs import ATTR_KEYS, AttrOptions, parse_attr_options
from logdrivers.common_options import reject_unknown_keys
from logdrivers.errors import InvalidLogOpt
from logdrivers.sizes import parse_si_size
from logdrivers.tag import TagTemplate, parse_tag_template

DRIVER = "json-file"
KNOWN_KEYS = frozenset({"max-size", "max-file", "compress", "tag"}) | ATTR_KEYS

_GO_INT = re.compile(r"[+-]?\d+")
_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
_GO_BOOLS |= {"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


@dataclass(frozen=True, slots=True)
class JsonFileOptions:
    max_size: int | None = None  # bytes (SI units); None = the file grows without bound (Docker's default)
    max_file: int = 1  # files kept, the current one included; without max-size it has no effect
    compress: bool = False  # gzip rotated files
    attrs: AttrOptions = AttrOptions()
    tag: TagTemplate | None = None  # json-file adds a tag only when the user set one


def _max_size(text: str) -> int:
    try:
        size = parse_si_size(text)
    except ValueError as exc:
        raise InvalidLogOpt("max-size", DRIVER, f"'{text}' is not a size: {exc}") from None
    if size <= 0:
        raise InvalidLogOpt("max-size", DRIVER, f"must be a positive number, not '{text}'")
    return size


def _max_file(text: str) -> int:
    if not _GO_INT.fullmatch(text):
        raise InvalidLogOpt("max-file", DRIVER, f"invalid number '{text}'")
    if int(text) < 1:
        raise InvalidLogOpt("max-file", DRIVER, f"cannot be less than 1, not '{text}'")
    return int(text)


def parse_options(opts: Mapping[str, str]) -> JsonFileOptions:
    """Parse the driver's own options (the shared mode/max-buffer-size are taken out by the registry)."""
    reject_unknown_keys(opts, KNOWN_KEYS, DRIVER)
    max_size = _max_size(opts["max-size"]) if "max-size" in opts else None
    max_file = _max_file(opts["max-file"]) if "max-file" in opts else 1
    compress = False
    if "compress" in opts:
        if opts["compress"] not in _GO_BOOLS:
            raise InvalidLogOpt("compress", DRIVER, f"invalid boolean '{opts['compress']}'")
        compress = _GO_BOOLS[opts["compress"]]
        if compress and (max_file < 2 or max_size is None):
            why = "cannot be true when max-file is less than 2 or max-size is not set"
            raise InvalidLogOpt("compress", DRIVER, why)
    tag = parse_tag_template(opts["tag"], DRIVER) if opts.get("tag") else None
    return JsonFileOptions(max_size, max_file, compress, parse_attr_options(opts, DRIVER), tag)
