"""Signals by name or number, as `docker kill -s` and `stop --signal` take them, delivered race-free."""

import os
import signal

from runtime.errors import InvalidParameter
from runtime.linux.proc import process_starttime


def parse_signal(value: str | int | None, default: int = signal.SIGKILL) -> int:
    """ "KILL", "SIGKILL", "9" and 9 all name SIGKILL; "" and None give `default`."""
    if value in (None, ""):
        return default
    text = str(value).upper()
    if text.isdigit():
        number = int(text)
        if 0 < number < signal.NSIG:
            return number
    else:
        name = text if text.startswith("SIG") else f"SIG{text}"
        if hasattr(signal.Signals, name):
            return signal.Signals[name].value
    raise InvalidParameter(f"Invalid signal: {value}")


def send_signal(pid: int, starttime: int, signum: int) -> bool:
    """Signal `pid` only if it is still the process that started at `starttime`; False if it is gone."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        if process_starttime(pid) != starttime:
            return False
        signal.pidfd_send_signal(pidfd, signum)
        return True
    except (ProcessLookupError, FileNotFoundError):
        return False
    finally:
        os.close(pidfd)


def is_alive(pid: int, starttime: int) -> bool:
    try:
        return process_starttime(pid) == starttime
    except (FileNotFoundError, ProcessLookupError):
        return False
