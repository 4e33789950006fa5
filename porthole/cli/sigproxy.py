"""`--sig-proxy`: the signals this command receives passed on to the attached container, as docker's are."""

from __future__ import annotations

import queue
import signal
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from porthole.cli.session import Session

# docker's sig-proxy passes on all signals but a few; these are the ones a person or a supervisor sends
PROXIED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


class SignalProxy:
    """Passes the signals this process receives to the container while attached. The handler only queues the
    signal (a handler must not use the connection pool the interrupted code may hold); a thread sends it."""

    def __init__(self, session: Session, container_id: str) -> None:
        self.session, self.container_id = session, container_id
        self.pending: queue.SimpleQueue[signal.Signals | None] = queue.SimpleQueue()
        self.previous: dict[signal.Signals, object] = {}

    def __enter__(self) -> SignalProxy:
        threading.Thread(target=self._forward, name="signal-proxy", daemon=True).start()
        for signum in PROXIED_SIGNALS:
            self.previous[signum] = signal.signal(signum, lambda number, _: self.pending.put(signal.Signals(number)))
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self.pending.put(None)

    def _forward(self) -> None:
        while (signum := self.pending.get()) is not None:
            try:
                self.session.api.kill(self.container_id, signal=signum.name)
            except Exception as e:
                message = self.session.failure_message(e)
                if message is None:
                    raise
                print(f"porthole run: passing {signum.name} on: {message}", file=sys.stderr)
