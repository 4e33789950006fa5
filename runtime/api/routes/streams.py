"""The streaming container calls: attach (hijacked), logs and stats."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote_plus

from logdrivers.driver import ReadConfig
from logdrivers.message import Message
from runtime.api import params
from runtime.api.http import Hijack, Json, Request, Response, Stream, client_gone, frame
from runtime.api.router import Router
from runtime.api.shapes.stats import stats as stats_shape
from runtime.engine.daemon import Engine
from runtime.engine.detachkeys import EscapeScanner, parse_detach_keys
from runtime.engine.launch import Layout
from runtime.engine.model import LIVE
from runtime.engine.stdin import Detaching, start_feeding
from runtime.errors import InvalidParameter

REF = r"(?P<ref>[^/]+)"
STATS_INTERVAL = 1.0
INPUT_DRAIN_S = 5.0
_STREAM_IDS = {"stdout": 1, "stderr": 2}


def _end_output(sock: socket.socket, feeder: threading.Thread | None) -> None:
    """With stdin attached, the output's end is a half-close; the socket is closed once the client has closed
    its side too (the feeder drains it), or after INPUT_DRAIN_S, so that no unread input resets the connection."""
    if feeder is None:
        return
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return  # the client is gone already
    feeder.join(INPUT_DRAIN_S)


def _payload(msg: Message, timestamps: bool, details: bool) -> bytes:
    line = msg.line if msg.partial is not None and not msg.partial.last else msg.line + b"\n"
    prefix = b""
    if timestamps:
        seconds, nanos = divmod(msg.timestamp_ns, 1_000_000_000)
        prefix += time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)).encode() + b".%09dZ " % nanos
    if details and msg.attrs:
        prefix += ",".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(msg.attrs.items())).encode() + b" "
    return prefix + line


def _content_type(tty: bool) -> str:
    """A terminal's output is one raw stream; other output is multiplexed into stdout and stderr frames."""
    return "application/vnd.docker.raw-stream" if tty else "application/vnd.docker.multiplexed-stream"


def _until_client_leaves(sock: socket.socket, stop: threading.Event) -> None:
    """Sets `stop` when the client hangs up, so a follower blocked on an idle log ends with it."""
    while not stop.is_set():
        if client_gone(sock):
            stop.set()
            return
        stop.wait(0.5)


def register(router: Router, engine: Engine) -> None:
    containers, lifecycle = engine.containers, engine.lifecycle

    def logs(req: Request, ref: str) -> Response:
        c = containers.get(ref)
        want_out, want_err = params.flag(req, "stdout"), params.flag(req, "stderr")
        if not (want_out or want_err):
            raise InvalidParameter("Bad parameters: you must choose at least one stream")
        tail_text = params.text(req, "tail", "all")
        stop = threading.Event()
        cfg = ReadConfig(
            since_ns=params.unix_ns(req, "since") or 0,
            until_ns=params.unix_ns(req, "until") or 0,
            tail=int(tail_text) if tail_text.isdigit() else None,
            follow=params.flag(req, "follow") and c.state.status in LIVE,
            stdout=want_out,
            stderr=want_err,
            stop=stop,
        )
        messages = containers.logs(c, cfg)
        timestamps, details = params.flag(req, "timestamps"), params.flag(req, "details")
        if cfg.follow:
            threading.Thread(target=_until_client_leaves, args=(req.handler.connection, stop), daemon=True).start()

        tty = bool(c.config.get("Tty"))

        def frames() -> Iterator[bytes]:
            try:
                for msg in messages:
                    payload = _payload(msg, timestamps, details)
                    yield payload if tty else frame(_STREAM_IDS.get(msg.source, 1), payload)
            finally:
                stop.set()

        return Stream(frames(), _content_type(tty))

    def attach(req: Request, ref: str) -> Response:
        c = containers.get(ref)
        want_out, want_err = params.flag(req, "stdout"), params.flag(req, "stderr")
        tty = bool(c.config.get("Tty"))
        escape = EscapeScanner(parse_detach_keys(params.text(req, "detachKeys"))) if tty else None
        stream, replay = params.flag(req, "stream"), params.flag(req, "logs")
        if not (stream or replay):
            return Hijack(lambda sock: None, _content_type(tty))
        done = lifecycle.watch.condition(c, "next-exit" if c.state.status not in LIVE else "not-running")
        if not stream:
            done = lambda: True  # noqa: E731 - logs=1 alone: what was written, then the end
        containers.record_attach(c)
        fifo = Layout(engine.config, c.id).stdin_path
        feeds = stream and params.flag(req, "stdin") and bool(c.config.get("OpenStdin"))  # Docker ignores it else
        stop, reading = threading.Event(), threading.Event()

        def feed(sock: socket.socket) -> threading.Thread | None:
            if not feeds:
                return None
            detaching = Detaching(escape, stop.set) if escape is not None else None
            return start_feeding(sock, fifo, done, lambda: c.state.status in LIVE, reading, detaching)

        cfg = ReadConfig(
            tail=None if replay else 0, follow=stream, stdout=want_out, stderr=want_err, stop=stop, started=reading
        )
        messages = containers.attach_output(c, cfg, still_running=lambda: not done())

        def pump(sock: socket.socket) -> None:
            # No watch for the client's EOF here: the docker CLI half-closes a hijacked stream at once when
            # it attaches no stdin (and when its stdin ends). A client that left is noticed when a write fails.
            feeder = feed(sock)
            try:
                for msg in messages:
                    payload = _payload(msg, False, False)
                    sock.sendall(payload if tty else frame(_STREAM_IDS.get(msg.source, 1), payload))
            finally:
                stop.set()
                _end_output(sock, feeder)

        return Hijack(pump, _content_type(tty))

    def stats_(req: Request, ref: str) -> Response:
        c = containers.get(ref)
        stream = params.flag(req, "stream", default=True)
        one_shot = params.flag(req, "one-shot")
        if not stream:
            first = engine.stats.sample(c)
            if not one_shot and c.state.status in LIVE:
                time.sleep(STATS_INTERVAL)  # moby primes the CPU counters, so that CPU % is not 0
                return Json(stats_shape(engine.stats.sample(c), first))
            return Json(stats_shape(first))

        def samples() -> Iterator[bytes]:
            previous = None
            while not lifecycle.watch.is_removed(c):  # a removed container's stream ends, as in Docker
                current = engine.stats.sample(c)
                yield json.dumps(stats_shape(current, previous)).encode() + b"\n"
                previous = current
                deadline = time.monotonic() + STATS_INTERVAL
                while time.monotonic() < deadline:
                    if client_gone(req.handler.connection):
                        return
                    time.sleep(0.2)

        return Stream(samples())

    router.add("GET", f"/containers/{REF}/logs", logs)
    router.add("POST", f"/containers/{REF}/attach", attach)
    router.add("GET", f"/containers/{REF}/stats", stats_)
