"""RFC 3339 times as Go writes and reads them (time.RFC3339Nano, in UTC): the Docker API's times, the
json-file log's timestamps and image configs are written here, and read back here by the engine, the
exporter and the web app."""

import re
import time
from datetime import date

NEVER = "0001-01-01T00:00:00Z"  # Go's zero time: the API's "never happened"

_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:Z|([+-])(\d\d):(\d\d))")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_FRACTION_SCALE = [10 ** (9 - digits) for digits in range(10)]  # ns per unit of a fraction this long


def format_ns(timestamp_ns: int) -> str:
    """Go's RFC3339Nano in UTC: trailing zeros of the fraction trimmed, no fraction on a whole second."""
    seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
    # Not strftime: its locale machinery is slower (3.5 against 2.1 us a call) and costs each shim's first
    # log line ~20 KiB of copied pages; and %Y leaves a year before 1000 unpadded, where Go writes four digits.
    base = "%04d-%02d-%02dT%02d:%02d:%02d" % time.gmtime(seconds)[:6]  # noqa: UP031 - one C call for six fields
    if not nanos:
        return base + "Z"
    return f"{base}.{nanos:09d}".rstrip("0") + "Z"


class TimeFormatter:
    """format_ns for a stream of times, such as a log's entries: consecutive ones share their whole second,
    which is formatted once. Not thread-safe: one per writer."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._second_text = b""

    def format(self, timestamp_ns: int) -> bytes:
        """format_ns's text, encoded."""
        seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
        if seconds != self._second:
            self._second, self._second_text = seconds, format_ns(seconds * 1_000_000_000)[:-1].encode()
        if not nanos:
            return self._second_text + b"Z"
        return (b"%s.%09d" % (self._second_text, nanos)).rstrip(b"0") + b"Z"


def now() -> str:
    return format_ns(time.time_ns())


def parse_ns(text: str) -> int:
    """Nanoseconds since the epoch; raises ValueError on anything but RFC 3339 (nine fraction digits at most,
    as Go writes; Python's own parser takes six)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC3339 time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    seconds = ((days * 24 + hour) * 60 + minute) * 60 + second
    if match[8]:
        offset = (int(match[9]) * 60 + int(match[10])) * 60
        seconds -= offset if match[8] == "+" else -offset
    fraction = match[7] or ""
    return seconds * 1_000_000_000 + (int(fraction) * _FRACTION_SCALE[len(fraction)] if fraction else 0)


def unix_seconds(text: str | None) -> float | None:
    """Seconds since the epoch of an API time; None for an empty time, Go's zero time (never) or a malformed
    one."""
    if not text or text == NEVER:
        return None
    try:
        return parse_ns(text) / 1e9
    except ValueError:
        return None


class TimeParser:
    """parse_ns for a stream of times, such as a log's entries: consecutive ones share their whole second,
    which is parsed once. Not thread-safe: one per reader."""

    def __init__(self) -> None:
        self._second_text = ""
        self._second_ns = 0

    def parse(self, text: str) -> int:
        """Nanoseconds since the epoch; raises ValueError on anything but RFC 3339."""
        if text[:19] == self._second_text:
            rest = text[19:]
            if rest == "Z":
                return self._second_ns
            digits = rest[1:-1]
            if rest[0] == "." and rest[-1] == "Z" and 0 < len(digits) <= 9 and digits.isdigit():
                return self._second_ns + int(digits) * _FRACTION_SCALE[len(digits)]
        ns = parse_ns(text)
        if text.endswith("Z"):
            self._second_text, self._second_ns = text[:19], ns - ns % 1_000_000_000
        return ns
