"""Times as the Docker API writes them: RFC3339Nano in UTC, and Go's zero time for "never"."""

import time
from datetime import UTC, datetime

NEVER = "0001-01-01T00:00:00Z"


def rfc3339_nano(ns: int) -> str:
    """Go's time.RFC3339Nano: nine digits at most, trailing zeros trimmed, `Z` for UTC."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{fraction:09d}".rstrip("0")
    return f"{stamp}.{digits}Z" if digits else f"{stamp}Z"


def now() -> str:
    return rfc3339_nano(time.time_ns())


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch of an RFC3339(Nano) time; 0.0 for Go's zero time."""
    if text == NEVER:
        return 0.0
    main, _, rest = text.rstrip("Z").partition(".")
    seconds = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    return seconds + (float(f"0.{rest}") if rest else 0.0)
