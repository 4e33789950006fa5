"""The HEALTHCHECK change line, parsed into Docker's config shape (durations in nanoseconds)."""

import json
import re

from runtime.errors import InvalidParameter

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_FLAGS = {
    "interval": "Interval",
    "timeout": "Timeout",
    "start-period": "StartPeriod",
    "start-interval": "StartInterval",
}
_MINIMUM_NS = 1_000_000  # moby's container.MinimumDuration


def _invalid(why: str) -> InvalidParameter:
    return InvalidParameter(f"images: change HEALTHCHECK: {why}")


def parse_go_duration(text: str) -> int:
    """Nanoseconds of a Go duration such as `30s`, `1m30s`, `500ms` or `0`."""
    if text == "0":
        return 0
    at, total = 0, 0.0
    while at < len(text):
        match = _DURATION_PART.match(text, at)
        if match is None:
            raise ValueError(f"time: invalid duration {text!r}")
        total += float(match.group(1)) * _UNITS_NS[match.group(2)]
        at = match.end()
    if not text:
        raise ValueError("time: invalid duration ''")
    return int(total)


def parse_healthcheck(text: str) -> dict:
    words = text.split()
    options: dict = {}
    while words and words[0].startswith("--"):
        flag, equals, value = words.pop(0)[2:].partition("=")
        if not equals:
            raise _invalid(f"flag --{flag} needs a value: --{flag}=VALUE")
        if flag in _DURATION_FLAGS:
            try:
                nanoseconds = parse_go_duration(value)
            except ValueError as error:
                raise _invalid(f"flag --{flag}: {error}") from None
            if 0 < nanoseconds < _MINIMUM_NS:
                raise _invalid(f"flag --{flag}: {value} cannot be less than 1ms")
            options[_DURATION_FLAGS[flag]] = nanoseconds
        elif flag == "retries":
            if not value.isdigit():
                raise _invalid(f"flag --retries: {value!r} is not a non-negative integer")
            options["Retries"] = int(value)
        else:
            raise _invalid(f"unknown flag: --{flag}")
    if not words:
        raise _invalid("missing NONE or CMD")
    kind = words[0].upper()
    rest = text.split(words[0], 1)[1].strip() if len(words) > 1 else ""
    if kind == "NONE":
        if rest or options:
            raise _invalid("HEALTHCHECK NONE takes no arguments")
        return {"Test": ["NONE"]}
    if kind != "CMD":
        raise _invalid(f"Unknown type {words[0]!r} in HEALTHCHECK (try CMD)")
    if not rest:
        raise _invalid("CMD needs a command")
    try:
        exec_form = json.loads(rest) if rest.startswith("[") else None
    except ValueError:
        exec_form = None
    if isinstance(exec_form, list) and all(isinstance(item, str) for item in exec_form):
        return {"Test": ["CMD", *exec_form], **options}
    return {"Test": ["CMD-SHELL", rest], **options}
