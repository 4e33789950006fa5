"""Hears when a watched process exits, through pidfds: one thread for every container, no polling, and it
works for processes that are not our children (shims are detached, and survive a daemon restart)."""

import os
import selectors
import threading
from collections.abc import Callable


class ExitMonitor:
    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="exit-monitor", daemon=True)
        self._thread.start()

    def watch(self, pid: int, on_exit: Callable[[], None]) -> None:
        """Call `on_exit` on a thread of its own once `pid` has exited; at once if it already has."""
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            threading.Thread(target=on_exit, name=f"exit-{pid}", daemon=True).start()
            return
        with self._lock:
            self._selector.register(pidfd, selectors.EVENT_READ, on_exit)
        os.write(self._wake_w, b"x")

    def _run(self) -> None:
        while not self._closed:
            for key, _ in self._selector.select():
                if key.data is None:
                    while True:
                        try:
                            os.read(self._wake_r, 4096)
                        except BlockingIOError:
                            break
                    continue
                with self._lock:
                    self._selector.unregister(key.fd)
                os.close(key.fd)
                threading.Thread(target=key.data, name="on-exit", daemon=True).start()

    def close(self) -> None:
        self._closed = True
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
