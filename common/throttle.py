"""Saying a repeated failure once in a while: the caller counts every failure (in a metric or a counter it
shows), and logs only when the throttle says it is due (STYLE rule 6)."""

import threading
import time
from collections.abc import Callable, Hashable


class LogThrottle:
    """At most one log line per key every `interval` seconds; the first of each key is due at once."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._logged_at: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def due(self, key: Hashable = None) -> bool:
        """True when a line for `key` may be logged now (and from now on counts as logged)."""
        now = self._clock()
        with self._lock:
            last = self._logged_at.get(key)
            if last is not None and now - last < self._interval:
                return False
            self._logged_at[key] = now
            return True
