"""Durations as Go writes and reads them: go-units' HumanDuration, which `docker ps` prints in STATUS and the CLI
in CREATED, and time.ParseDuration, which every duration flag and filter of Docker's takes."""

import re


def human_duration(seconds: float) -> str:
    """go-units' HumanDuration: "Less than a second", "1 second", "About a minute", "3 hours", "2 weeks"..."""
    if seconds < 1:
        return "Less than a second"
    if int(seconds) == 1:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)  # Go's Duration.Round(time.Hour): halves away from zero
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


# Go's time.ParseDuration units, in nanoseconds.
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
_GO_DURATION = re.compile(r"([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)")
_GO_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration_ns(text: str) -> int:
    """Go's time.ParseDuration, in nanoseconds: `30s`, `1m30s`, `500ms`, `-1.5h`, `0`; ValueError otherwise."""
    if text in ("0", "+0", "-0"):
        return 0
    match = _GO_DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"time: invalid duration {text!r}")
    total = sum(float(number) * _UNITS_NS[unit] for number, unit in _GO_DURATION_PART.findall(match[2]))
    return -int(total) if match[1] == "-" else int(total)


def go_duration_text(nanoseconds: int) -> str:
    """Go's Duration.String: "0s", "300ms", "1.5s", "1m30s", "1h0m0s"."""
    if nanoseconds == 0:
        return "0s"
    sign, size = ("-" if nanoseconds < 0 else ""), abs(nanoseconds)
    if size < 10**9:  # below a second Go picks the largest unit that fits, with a fraction
        unit, scale = next((u, s) for u, s in (("ms", 10**6), ("µs", 10**3), ("ns", 1)) if size >= s)
        return sign + _with_fraction(size, scale) + unit
    text = _with_fraction(size % (60 * 10**9), 10**9) + "s"
    minutes = size // (60 * 10**9)
    if minutes:
        text = f"{minutes % 60}m{text}"
        if minutes >= 60:
            text = f"{minutes // 60}h{text}"
    return sign + text


def _with_fraction(value: int, scale: int) -> str:
    whole, rest = divmod(value, scale)
    digits = str(rest).rjust(len(str(scale)) - 1, "0").rstrip("0") if rest else ""
    return f"{whole}.{digits}" if digits else str(whole)
