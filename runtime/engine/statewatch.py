"""What waiters wait on: every state change notifies one condition variable; exits are counted and removals
remembered, so `wait` (not-running, next-exit, removed), attach and stop can block outside a container's lock."""

import threading
import time
from collections.abc import Callable

from runtime.engine.model import PAUSED, RESTARTING, RUNNING, Container
from runtime.errors import InvalidParameter

WAIT_CONDITIONS = ("not-running", "next-exit", "removed")


class StateWatch:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._exits: dict[str, int] = {}  # container id -> exits seen, for next-exit
        self._removed: set[str] = set()

    def notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def record_exit(self, container: Container) -> None:
        self._exits[container.id] = self._exits.get(container.id, 0) + 1

    def record_removal(self, container: Container) -> None:
        self._removed.add(container.id)
        self.notify()

    def is_removed(self, container: Container) -> bool:
        return container.id in self._removed

    def wait_until(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """True once `done()` holds; False if `timeout` seconds passed first (None waits for ever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not done():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    @staticmethod
    def check_condition(condition: str) -> None:
        if condition not in WAIT_CONDITIONS:
            raise InvalidParameter(f"invalid condition: {condition!r}")

    def condition(self, container: Container, condition: str) -> Callable[[], bool]:
        """Docker's wait conditions: not-running, next-exit (counted from now), removed."""
        self.check_condition(condition)
        if condition == "removed":
            return lambda: container.id in self._removed
        seen = self._exits.get(container.id, 0)
        exited = lambda: self._exits.get(container.id, 0) > seen or container.id in self._removed  # noqa: E731
        if condition == "next-exit":
            return exited
        # As moby, whose restart also wakes the waiters: an exit that a restart policy follows ends the wait too
        # (`docker wait` of a --restart always container returns at its first exit, not never).
        return lambda: container.state.status not in (RUNNING, PAUSED, RESTARTING) or exited()

    def wait(self, container: Container, condition: Callable[[], bool], timeout: float | None) -> int | None:
        """The exit code once `condition` holds, or None if `timeout` passed first."""
        if not self.wait_until(condition, timeout):
            return None
        return container.state.exit_code
