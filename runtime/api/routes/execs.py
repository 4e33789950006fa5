"""/containers/{id}/exec and /exec/{id}: create, start (hijacked or streamed), inspect, resize."""

import os
import selectors
import socket
import threading
import time
from collections.abc import Callable

from runtime.api import params
from runtime.api.http import Empty, Hijack, Json, Request, Response, frame
from runtime.api.router import Router
from runtime.api.shapes.execs import exec_inspect
from runtime.engine.daemon import Engine
from runtime.engine.detachkeys import EscapeScanner
from runtime.engine.execs import ExecInstance, ExecStreams
from runtime.engine.stdin import DETACHED, copy_input
from runtime.engine.terminals import HeldTerminal
from runtime.errors import EngineError, InvalidParameter
from runtime.shim.stdin import write_all

RAW_STREAM = "application/vnd.docker.raw-stream"
MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream"
REF = r"(?P<ref>[^/]+)"
EXEC = r"(?P<exec_id>[^/]+)"


# Once an exec's process has exited, how long its streams may still run: a child it left in the background can
# hold them open for ever (`sh -c 'sleep 20 &'`). moby waits 2 s for them, then closes them (daemon/monitor.go).
EXIT_DRAIN_S = 2.0


class _Client:
    """Where the output goes: the client, until a write fails (it left or detached); then nowhere, the output
    still drained so the process is not blocked."""

    def __init__(self, write: Callable[[bytes | memoryview], None]) -> None:
        self._write = write

    def send(self, data: bytes | memoryview) -> None:
        try:
            self._write(data)
        except OSError:
            self._write = _discard


def pump_output(streams: ExecStreams, write: Callable[[bytes], None]) -> None:
    """Both pipes to the client as multiplexed frames, in the order the bytes arrive."""
    client = _Client(write)

    def forward(fd: int, stream_id: int) -> bool:
        data = os.read(fd, 65536)
        if data:
            client.send(frame(stream_id, data))
        return bool(data)

    channels = streams.channels
    _pump(
        streams,
        {channels.stdout: lambda: forward(channels.stdout, 1), channels.stderr: lambda: forward(channels.stderr, 2)},
    )


def pump_terminal(streams: ExecStreams, write: Callable[[memoryview], None]) -> None:
    """The terminal's output to the client, raw (each piece written before the next read: it is the terminal's
    buffer); it ends when nothing holds the terminal's slave any more."""
    client, terminal = _Client(write), streams.terminal
    assert terminal is not None

    def forward() -> bool:
        data = terminal.read()
        if data:
            client.send(data)
        return bool(data)

    _pump(streams, {terminal.fd: forward})


def _pump(streams: ExecStreams, readers: dict[int, Callable[[], bool]]) -> None:
    """Call each reader when its descriptor is readable, until every one has met its end (returned False) or
    EXIT_DRAIN_S after the process's exit, whichever comes first."""
    selector = selectors.DefaultSelector()
    for fd, read in readers.items():
        selector.register(fd, selectors.EVENT_READ, read)
    selector.register(streams.channels.status, selectors.EVENT_READ)
    open_readers, deadline = len(readers), None
    try:
        while open_readers:
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                return
            for key, _ in selector.select(timeout):
                if key.data is None:  # the status: the process has exited
                    streams.exit_code()
                    selector.unregister(key.fileobj)
                    deadline = time.monotonic() + EXIT_DRAIN_S
                elif not key.data():
                    selector.unregister(key.fileobj)
                    open_readers -= 1
    finally:
        selector.close()


def _discard(data: memoryview | bytes) -> None:
    return None


def _feed_pipe(sock: socket.socket, stdin: int) -> None:
    """The client's input into the process's stdin pipe (this thread's to close): its close at the client's
    end is the process's EOF."""
    try:
        copy_input(sock, lambda data: write_all(stdin, data), None)
    finally:
        os.close(stdin)


def _feed_terminal(sock: socket.socket, terminal: HeldTerminal, keys: bytes) -> None:
    """The client's input into the process's terminal; the detach keys end the client's session (the process
    runs on, its output drained)."""
    if copy_input(sock, terminal.write, EscapeScanner(keys)) == DETACHED:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            return  # the client is gone already


def _start_feeding(sock: socket.socket, instance: ExecInstance, streams: ExecStreams) -> None:
    if streams.terminal is not None:
        args: tuple = (sock, streams.terminal, instance.detach_keys)
        target: Callable[..., None] = _feed_terminal
    else:
        args, target = (sock, streams.channels.stdin), _feed_pipe
        streams.channels.stdin = None  # the feeder's now: finish() must not close it under a write
    threading.Thread(target=target, args=args, name="exec-stdin", daemon=True).start()


def _console_size(body: dict) -> list[int] | None:
    size = body.get("ConsoleSize")
    if size is not None and not (isinstance(size, list) and len(size) == 2 and all(isinstance(n, int) for n in size)):
        raise InvalidParameter("ConsoleSize: expected [height, width]")
    return size


def register(router: Router, engine: Engine) -> None:
    execs = engine.execs

    def create(req: Request, ref: str) -> Response:
        body = req.json_object(required=True)
        _console_size(body)
        instance = execs.create(engine.containers.get(ref), body, ref=ref)
        return Json({"Id": instance.id}, 201)

    def start(req: Request, exec_id: str) -> Response:
        instance = execs.get(exec_id)
        body = req.json_object()
        console_size = _console_size(body)
        execs.check_startable(instance)  # a 409 while the client can still read a status
        if body.get("Detach"):
            streams = execs.start(instance, console_size)
            threading.Thread(target=_run_detached, args=(execs, instance, streams), daemon=True).start()
            return Empty(200)

        def run(sock: socket.socket) -> None:
            # The process starts only once the 101 is out, as in moby: output sent right behind the headers
            # can land in the client's header buffer, and docker-py reads the stream from the raw socket
            # past it, so those bytes would be lost. A failure to start is told in the stream, and the
            # exit code (126, 127) is in exec inspect, where the docker CLI reads it.
            try:
                streams = execs.start(instance, console_size)
            except EngineError as e:
                message = e.message.encode(errors="replace") + b"\r\n"
                sock.sendall(message if instance.tty else frame(1, message))
                return
            if instance.config.get("AttachStdin"):
                _start_feeding(sock, instance, streams)
            if streams.terminal is not None:
                pump_terminal(streams, sock.sendall)
            else:
                pump_output(streams, sock.sendall)
            execs.finish(instance, streams)  # recorded before the client sees the end of the stream

        return Hijack(run, RAW_STREAM if instance.tty else MULTIPLEXED_STREAM)

    def inspect(req: Request, exec_id: str) -> Response:
        return Json(exec_inspect(execs.get(exec_id)))

    def resize(req: Request, exec_id: str) -> Response:
        instance = execs.get(exec_id)
        execs.resize(instance, params.integer(req, "h", 0) or 0, params.integer(req, "w", 0) or 0)
        return Empty(200)

    router.add("POST", f"/containers/{REF}/exec", create)
    router.add("POST", f"/exec/{EXEC}/start", start)
    router.add("GET", f"/exec/{EXEC}/json", inspect)
    router.add("POST", f"/exec/{EXEC}/resize", resize)


def _run_detached(execs, instance: ExecInstance, streams: ExecStreams) -> None:
    if streams.terminal is not None:
        pump_terminal(streams, _discard)
    else:
        pump_output(streams, _discard)
    execs.finish(instance, streams)
