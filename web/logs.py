"""The log viewer: a page per container, fed by a Server-Sent Events stream of the engine's logs API.

Each event is one line: `id:` its time in nanoseconds, so a reconnecting EventSource (the connection
dropped, or a restarting container's follow ended) resumes after the last line it got. A `retry:` of 2 s
makes that reconnection the way a viewer keeps following a container that restarts. Without follow the
stream ends with an `end` event, and the page closes it.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from flask import Blueprint, Response, render_template, request, stream_with_context

from exporter.engine_api import ENGINE_ERRORS
from web.api import engine_failure
from web.logstream import MAX_TAIL, LogFollower, parse_log_query
from web.state import current_state, record_or_404

bp = Blueprint("logs", __name__)

# A dead viewer is noticed only when a write fails (waitress), so write something at least this often.
HEARTBEAT_SECONDS = 15.0
RECONNECT_MILLISECONDS = 2000


@bp.get("/containers/<ref>/logs")
def page(ref: str):
    record = record_or_404(ref)
    return render_template("logs.html", record=record, max_tail=MAX_TAIL)


@bp.get("/api/v1/containers/<ref>/logs")
def stream(ref: str):
    """`tail` (number or all, default 200), `stdout`, `stderr`, `follow` (1 or 0, default 1).
    :raise 400: a bad parameter. :raise 404: no such container. :raise 502: the engine failed."""
    record = record_or_404(ref)
    query = parse_log_query(request.args, request.headers.get("Last-Event-ID"))
    try:
        follower = LogFollower(current_state().api, record.id, query)
    except ENGINE_ERRORS as e:
        engine_failure(e, f"cannot read the logs of {record.name}")

    def events() -> Iterator[bytes]:
        yield f"retry: {RECONNECT_MILLISECONDS}\n\n".encode()
        try:
            for item in follower.lines(HEARTBEAT_SECONDS):
                if item is None:
                    yield b": ping\n\n"
                elif isinstance(item, str):
                    yield b"event: failure\ndata: " + orjson.dumps({"message": item}) + b"\n\n"
                else:
                    body = orjson.dumps({"t": item.timestamp, "stream": item.stream, "text": item.text})
                    yield f"id: {item.time_ns}\n".encode() + b"data: " + body + b"\n\n"
            if not query.follow:
                yield b"event: end\ndata: {}\n\n"
        finally:
            follower.close()

    return Response(
        stream_with_context(events()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
