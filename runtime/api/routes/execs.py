"""/containers/{id}/exec and /exec/{id}: create, start (hijacked or streamed), inspect."""

import os
import selectors
import socket
import threading
from collections.abc import Callable

from runtime.api.http import Empty, Hijack, Json, Request, Response, frame
from runtime.api.router import Router
from runtime.api.shapes.execs import exec_inspect
from runtime.engine.daemon import Engine
from runtime.engine.execs import ExecInstance, ExecStreams
from runtime.errors import EngineError

REF = r"(?P<ref>[^/]+)"
EXEC = r"(?P<exec_id>[^/]+)"


def pump_output(streams: ExecStreams, write: Callable[[bytes], None]) -> None:
    """Both pipes to the client as multiplexed frames, in the order the bytes arrive, until both close."""
    selector = selectors.DefaultSelector()
    for fd, stream_id in ((streams.stdout, 1), (streams.stderr, 2)):
        selector.register(fd, selectors.EVENT_READ, stream_id)
    open_fds = 2
    try:
        while open_fds:
            for key, _ in selector.select():
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                    os.close(key.fd)
                    open_fds -= 1
                    continue
                try:
                    write(frame(key.data, data))
                except OSError:
                    write = _discard  # the client left; keep draining so the process is not blocked
    finally:
        for key in list(selector.get_map().values()):
            os.close(key.fd)
        selector.close()


def _discard(data: bytes) -> None:
    return None


def register(router: Router, engine: Engine) -> None:
    execs = engine.execs

    def create(req: Request, ref: str) -> Response:
        instance = execs.create(engine.containers.get(ref), req.json_object(required=True))
        return Json({"Id": instance.id}, 201)

    def start(req: Request, exec_id: str) -> Response:
        instance = execs.get(exec_id)
        body = req.json_object()
        execs.check_startable(instance)  # a 409 while the client can still read a status
        if body.get("Detach"):
            streams = execs.start(instance)
            threading.Thread(target=_run_detached, args=(execs, instance, streams), daemon=True).start()
            return Empty(200)

        def run(sock: socket.socket) -> None:
            # The process starts only once the 101 is out, as in moby: output sent right behind the headers
            # can land in the client's header buffer, and docker-py reads the stream from the raw socket
            # past it, so those bytes would be lost. A failure to start is told in the stream, and the
            # exit code (126, 127) is in exec inspect, where the docker CLI reads it.
            try:
                streams = execs.start(instance)
            except EngineError as e:
                sock.sendall(frame(1, e.message.encode(errors="replace") + b"\r\n"))
                return
            pump_output(streams, sock.sendall)
            execs.finish(instance, streams)  # recorded before the client sees the end of the stream

        return Hijack(run)

    def inspect(req: Request, exec_id: str) -> Response:
        return Json(exec_inspect(execs.get(exec_id)))

    def resize(req: Request, exec_id: str) -> Response:
        execs.get(exec_id)
        return Empty(200)

    router.add("POST", f"/containers/{REF}/exec", create)
    router.add("POST", f"/exec/{EXEC}/start", start)
    router.add("GET", f"/exec/{EXEC}/json", inspect)
    router.add("POST", f"/exec/{EXEC}/resize", resize)


def _run_detached(execs, instance: ExecInstance, streams: ExecStreams) -> None:
    pump_output(streams, _discard)
    execs.finish(instance, streams)
