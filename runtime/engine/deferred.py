"""Work the engine must not lose when the host refuses it for a while (a full disk, a read-only remount, a task
that will not leave its cgroup): done at once when it can be, else kept and tried again every second on one
thread until it succeeds, so what the kernel did (a signal, an exit, a freeze) is never undone or hidden by a
record that could not be written, and memory and disk agree again once space returns.

Each piece of work has a key (kind, container id): a newer attempt of the same key replaces the one pending,
so a container with many failed saves is one retry, not many. Failures are logged once a minute per kind and
cause, and the pending work is counted for the engine's metrics (porthole_engine_deferred_work).
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from common.throttle import LogThrottle
from runtime.errors import EngineError

log = logging.getLogger("porthole.engine")

RETRY_INTERVAL_S = 1.0
# what a retry can cure: the host's refusals (OSError: ENOSPC, EDQUOT, EROFS, EIO; HostError: a cgroup that
# did not empty in time, a netlink refusal); a bug raises anything else and is not hidden behind retries
RETRYABLE = (OSError, EngineError)

Key = tuple[str, str]  # (kind, container id)


@dataclass
class _Pending:
    work: Callable[[], None]
    what: str
    failures: int = 1


class DeferredWork:
    def __init__(self, interval: float = RETRY_INTERVAL_S) -> None:
        self._interval = interval
        self._pending: dict[Key, _Pending] = {}
        self._changed = threading.Condition()
        self._closed = False
        self._throttle = LogThrottle()
        self._thread = threading.Thread(target=self._retry_forever, name="deferred-work", daemon=True)
        self._thread.start()

    def attempt(self, key: Key, work: Callable[[], None], what: str) -> bool:
        """Run `work` now; if the host refuses it, keep it for the retries and return False (never raises a
        host's refusal). `what` names the work in the log: "saving the state of container <id>"."""
        try:
            work()
        except RETRYABLE as error:
            self._keep(key, work, what, error)
            return False
        self._done(key, what)
        return True

    def run_pending(self, key: Key) -> None:
        """Run the work pending under `key` now, if any, and raise its error if the host still refuses it
        (for work that must be done before the next step, e.g. a cleanup before a start)."""
        with self._changed:
            pending = self._pending.get(key)
        if pending is None:
            return
        try:
            pending.work()
        except RETRYABLE as error:
            self._keep(key, pending.work, pending.what, error)
            raise
        self._done(key, pending.what)

    def cancel(self, key: Key) -> None:
        with self._changed:
            self._pending.pop(key, None)

    def counts(self) -> dict[str, int]:
        """Pending work by kind, for the metrics."""
        with self._changed:
            return dict(Counter(kind for kind, _ in self._pending))

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join(timeout=5)

    def _keep(self, key: Key, work: Callable[[], None], what: str, error: BaseException) -> None:
        with self._changed:
            previous = self._pending.get(key)
            self._pending[key] = _Pending(work, what, previous.failures + 1 if previous else 1)
            self._changed.notify_all()
        self._log_failure(key, what, error)

    def _log_failure(self, key: Key, what: str, error: BaseException) -> None:
        cause = getattr(error, "errno", None) or type(error).__name__
        if self._throttle.due((key[0], cause)):
            log.error("porthole: %s failed, retrying every %gs: %s", what, self._interval, error)

    def _done(self, key: Key, what: str) -> None:
        with self._changed:
            pending = self._pending.pop(key, None)
        if pending is not None:
            log.info("porthole: %s succeeded after %d failed attempts", what, pending.failures)

    def _retry_forever(self) -> None:
        while True:
            with self._changed:
                while not self._pending and not self._closed:
                    self._changed.wait()
                if not self._closed:
                    self._changed.wait(self._interval)
                if self._closed:
                    return
                due = list(self._pending.items())
            for key, pending in due:
                self._retry(key, pending)

    def _retry(self, key: Key, pending: _Pending) -> None:
        with self._changed:
            if self._pending.get(key) is not pending:
                return  # replaced or done meanwhile
        try:
            pending.work()
        except RETRYABLE as error:
            with self._changed:
                pending.failures += 1
            self._log_failure(key, pending.what, error)
            return
        except Exception:  # a bug, not the host: logged with its traceback, not retried for ever
            log.exception("porthole: %s failed; given up", pending.what)
        with self._changed:
            if self._pending.get(key) is pending:
                del self._pending[key]
                log.info("porthole: %s succeeded after %d failed attempts", pending.what, pending.failures)
