"""How numbers read on the pages: sizes in binary units, durations as docker ps says them, times in UTC.

Registered as Jinja filters; static/js/format.js says the same in the browser for live values.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def size_text(value: float | None) -> str:
    """1536 -> '1.5 KiB'; None -> '–'."""
    if value is None:
        return "–"
    size = float(value)
    for unit in _UNITS:
        if abs(size) < 1024 or unit == _UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable: the last unit returns")


def duration_text(seconds: float | None) -> str:
    """As docker ps: '42 seconds', '3 minutes', '5 hours', '2 days'; None -> '–'."""
    if seconds is None:
        return "–"
    for limit, divisor, unit in ((120, 1, "second"), (7200, 60, "minute"), (172800, 3600, "hour")):
        if seconds < limit:
            n = int(seconds // divisor)
            return f"{n} {unit}" + ("" if n == 1 else "s")
    n = int(seconds // 86400)
    return f"{n} days"


def percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def time_text(unix_seconds: float | None) -> str:
    """'2024-05-01 10:00:00 UTC'; None -> 'never'."""
    if unix_seconds is None:
        return "never"
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(size=size_text, duration=duration_text, percent=percent_text, time=time_text)
