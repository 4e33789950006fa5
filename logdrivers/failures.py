"""Counting entries a driver lost, with a log line at most every ten seconds (STYLE rule 6)."""

import logging
import time

REPORT_INTERVAL_S = 10.0

_log = logging.getLogger("logdrivers")


class FailureCounter:
    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.entries = 0  # lost in all
        self._unreported = 0
        self._next_report = 0.0

    def count(self, entries: int, cause: BaseException) -> None:
        self.entries += entries
        self._unreported += entries
        now = time.monotonic()
        if now >= self._next_report:
            _log.error(
                "logdrivers: %s log driver: %d entries lost since the last report: %s",
                self.driver,
                self._unreported,
                cause,
            )
            self._unreported = 0
            self._next_report = now + REPORT_INTERVAL_S
