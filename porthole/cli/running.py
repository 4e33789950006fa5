"""`porthole create` and `porthole run`: detached, or attached with the container's output as it comes and its
exit status as ours (docker's order: create, attach, wait, start; 125 daemon error, 126 cannot run, 127 not found)."""

from __future__ import annotations

import argparse
import os
import queue
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING

from porthole.cli.command import USAGE_STATUS
from porthole.cli.output import write_output
from porthole.cli.runspec import create_body

if TYPE_CHECKING:
    from porthole.cli.session import Session

# Signals an attached run passes on to the container, as docker's sig-proxy does (it passes all but a few).
PROXIED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def start_failure_status(message: str) -> int:
    """docker's toStatusError: 127 for a command not found, 126 for one that cannot be run, else 125."""
    lowered = message.lower()
    if "executable file not found" in lowered or "no such file or directory" in lowered:
        return 127
    if "permission denied" in lowered or "is a directory" in lowered:
        return 126
    return USAGE_STATUS


def create_container(args: argparse.Namespace, session: Session) -> str:
    body = create_body(args)
    reply = session.api.create_container_from_config(body, name=args.name)
    for warning in reply.get("Warnings") or []:
        print(f"WARNING: {warning}", file=sys.stderr)
    return reply["Id"]


def create(args: argparse.Namespace, session: Session) -> int:
    print(create_container(args, session))
    return 0


def run(args: argparse.Namespace, session: Session) -> int:
    container_id = create_container(args, session)
    if not args.detach:
        return run_attached(session, container_id, auto_remove=args.rm, interactive=args.interactive)
    status = _start(session, container_id)
    if status == 0:
        print(container_id)
    return status


def _start(session: Session, container_id: str) -> int:
    """Start; 0, or the status docker gives for the failure after printing the daemon's message."""
    try:
        session.api.start(container_id)
    except Exception as e:
        message = session.failure_message(e)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return start_failure_status(message)
    return 0


def run_attached(session: Session, container_id: str, auto_remove: bool, interactive: bool) -> int:
    api = session.api
    from docker.utils.socket import frames_iter

    params = {"stdin": int(interactive), "stdout": 1, "stderr": 1, "stream": 1}
    output = api.attach_socket(container_id, params=params)
    # The wait goes out before the start, so that an exit right after the start is not missed; requests returns
    # once the daemon has sent the headers and leaves the body (the status) for later.
    waiting = session.request(
        "POST",
        "/containers/{0}/wait",
        container_id,
        params={"condition": "removed" if auto_remove else "next-exit"},
        stream=True,
    )
    try:
        status = _start(session, container_id)
        if status:
            return status
        if interactive:
            threading.Thread(target=_send_stdin, args=(getattr(output, "_sock", output),), daemon=True).start()
        with SignalProxy(session, container_id):
            for stream_id, data in frames_iter(output, tty=False):
                write_output(stream_id, data)
            result = waiting.json()
    finally:
        output.close()
        waiting.close()
    error = (result.get("Error") or {}).get("Message")
    if error:
        print(f"Error waiting for the container: {error}", file=sys.stderr)
        return USAGE_STATUS
    return int(result["StatusCode"])


def _send_stdin(sock: socket.socket) -> None:
    """Our stdin to the container's, then a half-close: docker's way of telling the daemon the input ended.
    Read with os.read: a daemon thread blocked in the buffered reader aborts the interpreter at exit."""
    try:
        while data := os.read(sys.stdin.fileno(), 65536):
            sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return  # the container exited and the daemon closed the stream: its output and status still come


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
