"""Restart policies (no, always, on-failure[:N], unless-stopped) and Docker's growing back-off."""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from runtime.errors import InvalidParameter

POLICIES = ("no", "always", "on-failure", "unless-stopped")

# moby restartmanager: 100 ms, doubled at each restart, at most a minute; a run of 10 s resets it.
BACKOFF_START = 0.1
BACKOFF_MAX = 60.0
RESET_AFTER = 10.0


@dataclass(frozen=True)
class RestartPolicy:
    name: str
    max_retries: int

    @classmethod
    def from_host_config(cls, host_config: dict) -> "RestartPolicy":
        raw = host_config.get("RestartPolicy") or {}
        if not isinstance(raw, dict):
            raise InvalidParameter("invalid restart policy: RestartPolicy must be an object")
        name = raw.get("Name") or "no"
        retries = raw.get("MaximumRetryCount") or 0
        if name not in POLICIES:
            raise InvalidParameter(
                f"invalid restart policy: unknown policy '{name}'; use one of "
                "'no', 'always', 'on-failure', or 'unless-stopped'"
            )
        if not isinstance(retries, int) or retries < 0:
            raise InvalidParameter("invalid restart policy: maximum retry count must be a positive integer")
        if retries and name != "on-failure":
            raise InvalidParameter(
                f"invalid restart policy: maximum retry count can only be used with 'on-failure', not '{name}'"
            )
        if name != "no" and host_config.get("AutoRemove"):
            raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
        return cls(name, retries)

    def should_restart(self, exit_code: int, restart_count: int, manually_stopped: bool) -> bool:
        if manually_stopped or self.name == "no":
            return False
        if self.name == "on-failure":
            return exit_code != 0 and (self.max_retries == 0 or restart_count < self.max_retries)
        return True

    def starts_with_daemon(self, exit_code: int, restart_count: int, manually_stopped: bool) -> bool:
        """moby's restore asks a fresh restart manager: a stop by hand holds only until the daemon restarts,
        except for unless-stopped; on-failure restarts a failure still under its retry limit."""
        if self.name == "on-failure":
            return self.should_restart(exit_code, restart_count, manually_stopped=False)
        return self.name == "always" or (self.name == "unless-stopped" and not manually_stopped)


def next_delay(previous: float, ran_for: float) -> float:
    if ran_for >= RESET_AFTER or previous <= 0:
        return BACKOFF_START
    return min(previous * 2, BACKOFF_MAX)


class RestartTimers:
    """Containers waiting out their back-off before a policy restart: one timer each, and the last delay."""

    def __init__(self) -> None:
        self._timers: dict[str, tuple[threading.Timer, object]] = {}  # container id -> its timer and turn
        self._backoff: dict[str, float] = {}

    def schedule(self, container_id: str, ran_for: float, restart: Callable[[object], None]) -> None:
        """`restart(turn)` runs after the back-off; it must claim(container_id, turn) before acting."""
        delay = next_delay(self._backoff.get(container_id, 0.0), ran_for)
        self._backoff[container_id] = delay
        turn = object()
        timer = threading.Timer(delay, restart, args=(turn,))
        timer.daemon = True
        self._timers[container_id] = (timer, turn)
        timer.start()

    def claim(self, container_id: str, turn: object) -> bool:
        """A fired timer takes its turn; False if it was cancelled meanwhile, or replaced by a later one (a
        timer that fired while its restart waited for the container's lock must not take the next one's)."""
        entry = self._timers.get(container_id)
        if entry is None or entry[1] is not turn:
            return False
        del self._timers[container_id]
        return True

    def cancel(self, container_id: str) -> None:
        entry = self._timers.pop(container_id, None)
        if entry is not None:
            entry[0].cancel()

    def close(self) -> None:
        for container_id in list(self._timers):
            self.cancel(container_id)
