"""Counting entries a driver lost, with a log line at most every ten seconds (STYLE rule 6), and, in a shim, the
count of lines lost to failed writes saved where the daemon reads it at scrape (porthole_log_dropped_lines_total
{reason="write_failed"}, as Docker's logger_log_write_operations_failed counts them)."""

import logging
import time

from common.throttle import LogThrottle
from logdrivers.dropstats import read_failed_lines, write_failed_lines
from logdrivers.errors import LogFileError

REPORT_INTERVAL_S = 10.0
SAVE_INTERVAL_S = 1.0  # how often the count reaches its file while failures happen

_log = logging.getLogger("logdrivers")


class FailureCounter:
    def __init__(self, driver: str, stats_path: str | None = None) -> None:
        """With `stats_path` the count of lost lines starts from what that file holds (a container restart
        carries it on) and is saved there at most once a second while failures happen, and by save()."""
        self.driver = driver
        self.entries = 0  # lost by this writer
        self._unreported = 0
        self._log_throttle = LogThrottle(REPORT_INTERVAL_S)
        self._stats_path = stats_path
        self._before = self._saved = self._load()
        self._next_save = 0.0

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
        if self._stats_path is not None and time.monotonic() >= self._next_save:
            self.save()

    def save(self) -> None:
        """Write the count to the stats file if it changed (call it once more when the writer closes)."""
        total = self._before + self.entries
        if self._stats_path is None or total == self._saved:
            return
        self._next_save = time.monotonic() + SAVE_INTERVAL_S
        try:
            write_failed_lines(self._stats_path, total)
        except LogFileError as exc:
            self.count(0, exc)  # said in the log, rate-limited; tried again at the next failure or close
            return
        self._saved = total

    def _load(self) -> int:
        if self._stats_path is None:
            return 0
        try:
            return read_failed_lines(self._stats_path)
        except LogFileError as exc:
            _log.error("logdrivers: %s log driver: %s; counting from 0", self.driver, exc)
            return 0
