"""Counting entries a driver lost, with a log line at most every ten seconds (STYLE rule 6)."""

import logging

from common.throttle import LogThrottle

REPORT_INTERVAL_S = 10.0

_log = logging.getLogger("logdrivers")


class FailureCounter:
    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.entries = 0  # lost in all
        self._unreported = 0
        self._log_throttle = LogThrottle(REPORT_INTERVAL_S)

    def count(self, entries: int, cause: BaseException) -> None:
        self.entries += entries
        self._unreported += entries
        if self._log_throttle.due():
            _log.error(
                "logdrivers: %s log driver: %d entries lost since the last report: %s",
                self.driver,
                self._unreported,
                cause,
            )
            self._unreported = 0
