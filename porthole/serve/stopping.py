"""Waiting in the main thread of a threaded program for SIGTERM or SIGINT, reliably."""

import signal
import threading

# CPython runs a signal's handler in the main thread at its next bytecode; a signal the kernel hands to another
# thread (any thread may take a process-directed one) only sets a flag there. A main thread blocked in a wait
# without a timeout never looks at the flag: a daemon was seen to ignore a SIGTERM this way. So the wait wakes
# up this often to let a pending handler run.
POLL_SECONDS = 0.25


class StopSignals:
    """Installs the handlers at construction (so a signal that comes early is kept); wait() returns once one
    came."""

    def __init__(self) -> None:
        self._received = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._received.set())

    def wait(self) -> None:
        while not self._received.wait(POLL_SECONDS):
            pass
