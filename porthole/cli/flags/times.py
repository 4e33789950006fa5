"""Durations and points in time as the docker CLI reads them for `--since` and `--until` (timetypes.GetTimestamp):
a Go duration before now (`10m`, `1h30m`), an RFC3339 date or time (local time when it names no zone), or a unix
timestamp passed through as it is."""

import re
from datetime import UTC, datetime, timedelta, timezone

from common.durations import go_duration_ns
from runtime.errors import InvalidParameter

_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:T(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?)?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})?"
)
_UNIX_TIMESTAMP = re.compile(r"\d+(\.\d{1,9})?")


def go_duration(text: str) -> float:
    """Go's time.ParseDuration in seconds: `10m` → 600.0, `1h30m` → 5400.0, `1.5s`, `300ms`; `0` alone is 0."""
    try:
        return go_duration_ns(text) / 1e9
    except ValueError:
        raise InvalidParameter(
            f"invalid duration {text!r}: expected a number and a unit (ns, us, ms, s, m, h)"
        ) from None


def parse_time(text: str) -> datetime | None:
    """An RFC3339 date or date-time (`2024-05-01`, `2024-05-01T10:00`, `...T10:00:00.5Z`, `...+02:00`), aware;
    without a zone it is local time, as the docker CLI reads it. None when the text is not shaped as a date."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return None
    try:
        day = datetime.strptime(match["date"], "%Y-%m-%d")
        moment = day.replace(
            hour=int(match["hour"] or 0),
            minute=int(match["minute"] or 0),
            second=int(match["second"] or 0),
            microsecond=int((match["fraction"] or "0").ljust(6, "0")[:6]),
        )
    except ValueError as e:
        raise InvalidParameter(f"invalid time {text!r}: {e}") from None
    zone = match["zone"]
    if zone is None:
        return moment.astimezone()
    if zone in "Zz":
        return moment.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment.replace(tzinfo=timezone(sign * offset))


def api_timestamp(text: str, now: datetime | None = None) -> str:
    """The value the Engine API takes for `since`/`until`: `<unix seconds>[.<nanoseconds>]`.

    `10m` is ten minutes before `now`; a date or time is converted; a unix timestamp passes unchanged."""
    now = now or datetime.now(UTC)
    try:
        duration_ns = go_duration_ns(text) if text != "0" else None
    except ValueError:
        duration_ns = None
    if duration_ns is not None:
        return str(int((now - timedelta(seconds=duration_ns / 1e9)).timestamp()))
    moment = parse_time(text)
    if moment is not None:
        seconds = int(moment.replace(microsecond=0).timestamp())
        return f"{seconds}.{moment.microsecond * 1000:09d}"
    if "-" in text:
        raise InvalidParameter(f"invalid time {text!r}: expected RFC3339 such as 2006-01-02T15:04:05Z07:00")
    if _UNIX_TIMESTAMP.fullmatch(text):
        return text
    raise InvalidParameter(f"invalid time {text!r}: not a duration (10m), an RFC3339 time nor a unix timestamp")
