"""Files the web process could not read (cgroupfs, /proc): counted since start, the last one's message kept
for the API, and logged at most once a minute (STYLE rule 6). The sampler and the map's probe each keep one."""

from __future__ import annotations

import logging

from common.throttle import LogThrottle
from exporter.readers.samples import ReadError


class ReadErrorTally:
    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._throttle = LogThrottle()
        self.count = 0
        self.last: str | None = None  # the last failure's message

    def add(self, errors: list[ReadError]) -> None:
        if not errors:
            return
        self.count += len(errors)
        self.last = errors[-1].message
        if self._throttle.due():
            self._log.warning("%s (%d unreadable files since start)", self.last, self.count)
