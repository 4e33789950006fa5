"""Go's parsers for option values, with Go's error texts: drivers quote them as Docker's validators do.

strconv.ParseBool, strconv.ParseUint and time.ParseDuration are reproduced because Docker's option errors are
their messages (`strconv.ParseBool: parsing "x": invalid syntax`), and users search for those texts.
"""

import re

GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
GO_BOOLS |= {"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}

_UNITS_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9}
_UNITS_NS["h"] = 3600 * 10**9
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]*)")


def parse_bool(text: str) -> bool:
    if text not in GO_BOOLS:
        raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax')
    return GO_BOOLS[text]


def parse_uint(text: str, bits: int) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    value = int(text)
    if value >= 1 << bits:
        raise ValueError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return value


def parse_duration_ns(text: str) -> int:
    """time.ParseDuration: "1.5s", "100ms", "1h2m", "-3us"; a bare "0" is the only number without a unit."""
    invalid = ValueError(f'time: invalid duration "{text}"')
    rest, sign = text, 1
    if rest[:1] in ("-", "+"):
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        match = _DURATION_PART.match(rest)
        assert match is not None  # every group may be empty
        whole, fraction, unit = match[1], match[2], match[3]
        if not whole and not fraction:
            raise invalid
        if not unit:
            raise ValueError(f'time: missing unit in duration "{text}"')
        if unit not in _UNITS_NS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{text}"')
        scale = _UNITS_NS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
        rest = rest[match.end() :]
    return sign * total


def format_duration(ns: int) -> str:
    """Go's Duration.String for the round values option errors quote (100ms, 10s, 1m30s)."""
    if ns == 0:
        return "0s"
    if ns < 10**9:
        for unit, scale in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= scale:
                return f"{ns / scale:g}{unit}"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = f"{rest / 10**9:.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    return f"{minutes}m{seconds}" if minutes else seconds
