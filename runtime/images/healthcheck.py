"""The HEALTHCHECK line, parsed into Docker's config shape (durations in nanoseconds), with the checks and the
wording of moby's parseHealthcheck (builder/dockerfile/instructions/parse.go). A Dockerfile's line is checked
before any step runs; a `--change` line when it is applied."""

import json
import re

from common.durations import go_duration_ns
from runtime.errors import InvalidParameter

_DURATION_FLAGS = {  # in the order moby checks them
    "interval": "Interval",
    "timeout": "Timeout",
    "start-period": "StartPeriod",
    "start-interval": "StartInterval",
}
_MINIMUM_NS = 1_000_000  # moby's container.MinimumDuration


class InvalidHealthcheck(InvalidParameter):
    """A HEALTHCHECK line moby's parser refuses; the message is its reason, in moby's words."""


def _flags(words: list[str]) -> dict[str, str]:
    flags: dict[str, str] = {}
    while words and words[0].startswith("--"):
        flag, equals, value = words.pop(0)[2:].partition("=")
        if not equals:
            raise InvalidHealthcheck(f"flag --{flag} needs a value: --{flag}=VALUE")
        if flag not in (*_DURATION_FLAGS, "retries"):
            raise InvalidHealthcheck(f"unknown flag: --{flag}")
        flags[flag] = value
    return flags


def _duration_ns(flag: str, value: str) -> int:
    try:
        nanoseconds = go_duration_ns(value)
    except ValueError:
        raise InvalidHealthcheck(f'time: invalid duration "{value}"') from None
    if nanoseconds != 0 and nanoseconds < _MINIMUM_NS:  # 0: unset, as moby since 25.0
        raise InvalidHealthcheck(f'Interval "{flag}" cannot be less than 1ms')
    return nanoseconds


def _retries(value: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        raise InvalidHealthcheck(f'strconv.ParseInt: parsing "{value}": invalid syntax')
    retries = int(value)
    if retries < 1:
        raise InvalidHealthcheck(f"--retries must be at least 1 (not {retries})")
    return retries


def _test(text: str, words: list[str], has_flags: bool) -> list[str]:
    if not words:
        raise InvalidHealthcheck("HEALTHCHECK requires at least one argument")
    kind = words[0].upper()
    rest = text.split(words[0], 1)[1].strip() if len(words) > 1 else ""
    if kind == "NONE":
        if rest or has_flags:
            raise InvalidHealthcheck("HEALTHCHECK NONE takes no arguments")
        return ["NONE"]
    if kind != "CMD":
        raise InvalidHealthcheck(f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
    try:
        exec_form = json.loads(rest) if rest.startswith("[") else None
    except ValueError:
        exec_form = None
    if isinstance(exec_form, list) and all(isinstance(item, str) for item in exec_form):
        command = ["CMD", *exec_form]
    else:
        command = ["CMD-SHELL", rest] if rest else ["CMD"]
    if len(command) == 1:
        raise InvalidHealthcheck("Missing command after HEALTHCHECK CMD")
    return command


def parse_healthcheck(text: str) -> dict:
    words = text.split()
    flags = _flags(words)
    test = _test(text, words, bool(flags))
    if test == ["NONE"]:
        return {"Test": test}
    # an empty value (`--interval=`) leaves the option unset, as moby's parseOptInterval
    options: dict = {key: _duration_ns(flag, flags[flag]) for flag, key in _DURATION_FLAGS.items() if flags.get(flag)}
    if flags.get("retries"):
        options["Retries"] = _retries(flags["retries"])
    return {"Test": test, **options}
