"""The HEALTHCHECK change line, parsed into Docker's config shape (durations in nanoseconds)."""

import json

from common.durations import go_duration_ns
from runtime.errors import InvalidParameter

_DURATION_FLAGS = {
    "interval": "Interval",
    "timeout": "Timeout",
    "start-period": "StartPeriod",
    "start-interval": "StartInterval",
}
_MINIMUM_NS = 1_000_000  # moby's container.MinimumDuration


def _invalid(why: str) -> InvalidParameter:
    return InvalidParameter(f"images: change HEALTHCHECK: {why}")


def parse_healthcheck(text: str) -> dict:
    words = text.split()
    options: dict = {}
    while words and words[0].startswith("--"):
        flag, equals, value = words.pop(0)[2:].partition("=")
        if not equals:
            raise _invalid(f"flag --{flag} needs a value: --{flag}=VALUE")
        if flag in _DURATION_FLAGS:
            try:
                nanoseconds = go_duration_ns(value)
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
