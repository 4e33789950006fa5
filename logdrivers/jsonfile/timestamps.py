"""RFC3339Nano as Go writes and reads it, in UTC nanoseconds since the epoch."""

import re
import time
from datetime import date

_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:Z|([+-])(\d\d):(\d\d))")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_FRACTION_SCALE = [10 ** (9 - digits) for digits in range(10)]  # ns per unit of a fraction this long


def format_time(timestamp_ns: int) -> str:
    """Go's RFC3339Nano in UTC: trailing zeros of the fraction trimmed, no fraction on a whole second."""
    seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
    # Not strftime: its locale machinery is slower (3.5 against 2.1 us a call) and costs each shim's first
    # log line ~20 KiB of copied pages; and %Y leaves a year before 1000 unpadded, where Go writes four digits.
    base = "%04d-%02d-%02dT%02d:%02d:%02d" % time.gmtime(seconds)[:6]  # noqa: UP031 - one C call for six fields
    if not nanos:
        return base + "Z"
    return f"{base}.{nanos:09d}".rstrip("0") + "Z"


class TimeParser:
    """Parses RFC3339 timestamps; remembers the last whole second, which consecutive log entries share."""

    def __init__(self) -> None:
        self._second_text = ""
        self._second_ns = 0

    def parse(self, text: str) -> int:
        """Nanoseconds since the epoch; raises ValueError on anything but RFC3339."""
        if text[:19] == self._second_text:
            rest = text[19:]
            if rest == "Z":
                return self._second_ns
            digits = rest[1:-1]
            if rest[0] == "." and rest[-1] == "Z" and 0 < len(digits) <= 9 and digits.isdigit():
                return self._second_ns + int(digits) * _FRACTION_SCALE[len(digits)]
        match = _RFC3339.fullmatch(text)
        if match is None:
            raise ValueError(f"not an RFC3339 time: {text!r}")
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
        seconds = ((days * 24 + hour) * 60 + minute) * 60 + second
        if match[8]:
            offset = (int(match[9]) * 60 + int(match[10])) * 60
            seconds -= offset if match[8] == "+" else -offset
        second_ns = seconds * 1_000_000_000
        if text.endswith("Z"):
            self._second_text, self._second_ns = text[:19], second_ns
        fraction = match[7] or ""
        return second_ns + (int(fraction) * _FRACTION_SCALE[len(fraction)] if fraction else 0)
