"""A hijacked attach or exec stream, the client's side, as the docker CLI holds one: our stdin copied in (on a
terminal in raw mode, through the detach keys, which end the session and leave the process running), the output
copied out (raw from a terminal, demultiplexed otherwise), the window size followed, signals passed on."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from porthole.cli.command import argtype
from porthole.cli.flags.switches import go_bool
from porthole.cli.output import write_output
from porthole.cli.terminal import RawMode, Resize, WindowSizeFollower
from runtime.engine.detachkeys import EscapeScanner, parse_detach_keys

if TYPE_CHECKING:
    from porthole.cli.session import Session

DETACHED_MESSAGE = "read escape sequence"  # what docker attach and docker exec print on a detach (status 1)


@dataclass(frozen=True)
class Conversation:
    """What a session carries: `stdin` whether ours is sent, `tty` whether the stream is a terminal's (raw),
    `resize` the endpoint of its window size, `signals` the container the signals go to (without a terminal)."""

    tty: bool
    stdin: bool
    detach_keys: str = ""
    resize: Resize | None = None
    signals: str | None = None


def add_detach_keys_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--detach-keys", default="", metavar="KEYS", help="the keys that detach from a terminal (ctrl-p,ctrl-q)"
    )


def add_sig_proxy_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sig-proxy",
        type=argtype(go_bool),
        default=True,
        metavar="BOOL",
        help="pass the signals received on to the container, without a terminal (default true)",
    )


def converse(session: Session, stream: Any, talk: Conversation) -> bool:
    """Hold the session until the output ends (the process exited, or the daemon ended it); True if our detach
    keys ended it."""
    sock: socket.socket = getattr(stream, "_sock", stream)
    detached = threading.Event()
    # ctrl-p ctrl-q by default, as docker's; only a terminal's stream is scanned (a pipe's bytes are data)
    escape = EscapeScanner(parse_detach_keys(talk.detach_keys)) if talk.tty else None
    with contextlib.ExitStack() as held:
        if talk.tty and talk.stdin:
            held.enter_context(RawMode(sys.stdin.fileno()))
        if talk.tty and talk.resize is not None:
            held.enter_context(WindowSizeFollower(talk.resize, lambda e: _report(session, e)))
        if not talk.tty and talk.signals is not None:
            from porthole.cli.sigproxy import SignalProxy

            held.enter_context(SignalProxy(session, talk.signals))
        if talk.stdin:
            threading.Thread(target=_send_stdin, args=(sock, escape, detached), daemon=True).start()
        try:
            _copy_output(stream, talk.tty)
        except OSError:
            if not detached.is_set():
                raise
    return detached.is_set()


def _copy_output(stream: Any, tty: bool) -> None:
    from docker.utils.socket import frames_iter, read

    if not tty:
        for stream_id, data in frames_iter(stream, tty=False):
            write_output(stream_id, data)
        return
    out = sys.stdout.buffer
    while data := read(stream, 65536):
        out.write(data)
        out.flush()  # a keystroke's echo shows at once


def _send_stdin(sock: socket.socket, escape: EscapeScanner | None, detached: threading.Event) -> None:
    """Our stdin to the process's, then a half-close: docker's way of telling the daemon the input ended. On the
    detach keys (held back, never sent), the connection is shut both ways, which ends the output's copy too.
    Read with os.read: a daemon thread blocked in the buffered reader aborts the interpreter at exit."""
    try:
        while data := os.read(sys.stdin.fileno(), 65536):
            ends = False
            if escape is not None:
                data, ends = escape.feed(data)  # a key typed in raw mode comes alone in its read
            if data:
                sock.sendall(data)
            if ends:
                detached.set()
                sock.shutdown(socket.SHUT_RDWR)
                return
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return  # the process exited and the daemon closed the stream: its output and status still come


def _report(session: Session, exc: BaseException) -> None:
    message = session.failure_message(exc)
    if message is None:
        raise exc
    print(f"porthole: resizing the terminal: {message}", file=sys.stderr)


def detached_status() -> int:
    """docker attach's and docker exec's way out after the detach keys: the message, status 1."""
    print(DETACHED_MESSAGE, file=sys.stderr)
    return 1
