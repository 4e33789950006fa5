"""A container's log lines through the Engine API's logs endpoint, stdout and stderr told apart.

docker-py hands out a log frame's payload without the stream it came on, so each wanted stream is its own
request (`stdout=True, stderr=False` and the reverse), read by a thread into one queue. Lines carry the
engine's timestamps, which order them across the two streams and resume a stream after a reconnection.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from web.engine import EngineApi
from web.errors import InvalidOption

_SECONDS_NS = 1_000_000_000
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
MAX_TAIL = 10_000


@dataclass(frozen=True, slots=True)
class LogQuery:
    tail: int | None = 200  # None: every line kept
    stdout: bool = True
    stderr: bool = True
    follow: bool = True
    after_ns: int = 0  # only lines stamped later (a reconnecting viewer's last line); 0: from the tail


@dataclass(frozen=True, slots=True)
class LogLine:
    time_ns: int
    stream: str  # "stdout" or "stderr"
    text: str

    @property
    def timestamp(self) -> str:
        """RFC 3339 with nanoseconds, as the engine prints them."""
        seconds, ns = divmod(self.time_ns, _SECONDS_NS)
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns:09d}Z"


def parse_log_query(args: Any, last_event_id: str | None) -> LogQuery:
    """From the query string (tail, stdout, stderr, follow) and an EventSource's Last-Event-ID."""
    tail_text = args.get("tail", "200")
    if tail_text == "all":
        tail = None
    elif tail_text.isdigit() and int(tail_text) <= MAX_TAIL:
        tail = int(tail_text)
    else:
        raise InvalidOption(f"web: invalid tail {tail_text!r}: expected 'all' or a number from 0 to {MAX_TAIL}")
    stdout, stderr = _flag(args, "stdout", True), _flag(args, "stderr", True)
    if not (stdout or stderr):
        raise InvalidOption("web: invalid logs query: choose stdout, stderr or both")
    after_ns = 0
    if last_event_id:
        if not last_event_id.isdigit():
            raise InvalidOption(f"web: invalid Last-Event-ID {last_event_id!r}: expected a line's time in nanoseconds")
        after_ns = int(last_event_id)
    return LogQuery(tail, stdout, stderr, _flag(args, "follow", True), after_ns)


def _flag(args: Any, name: str, default: bool) -> bool:
    value = args.get(name)
    if value is None:
        return default
    if value not in ("0", "1", "true", "false"):
        raise InvalidOption(f"web: invalid {name} {value!r}: expected 1 or 0")
    return value in ("1", "true")


def parse_log_line(payload: bytes, stream: str) -> LogLine | None:
    """One line as the engine sends it with timestamps=True: `<RFC 3339 nano> <text>`; None if unstamped."""
    stamp, sep, text = payload.partition(b" ")
    time_ns = parse_time_ns(stamp.decode("ascii", "replace")) if sep else None
    if time_ns is None:
        return None
    return LogLine(time_ns, stream, text.rstrip(b"\r\n").decode("utf-8", "replace"))


def parse_time_ns(text: str) -> int | None:
    """`2024-05-01T10:00:00.123456789Z` (or +hh:mm) -> unix nanoseconds, exactly (no float on the way)."""
    m = _STAMP.match(text)
    if m is None:
        return None
    whole, fraction, zone = m.groups()
    seconds = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone)).timestamp()
    return int(seconds) * _SECONDS_NS + int((fraction or "").ljust(9, "0"))


class LogFollower:
    """The lines of the wanted streams, merged as they arrive; close() ends the requests."""

    def __init__(self, api: EngineApi, container_id: str, query: LogQuery) -> None:
        # unbounded: a reader blocked on a full queue would outlive close(); the tail and the container's
        # output rate bound it, and the viewer's thread drains it as fast as the socket takes it
        self._queue: queue.SimpleQueue[LogLine | str | None] = queue.SimpleQueue()
        self._streams: list[Any] = []
        self._closed = threading.Event()
        options: dict[str, Any] = {"stream": True, "follow": query.follow, "timestamps": True}
        if query.after_ns:
            # since is inclusive and docker-py takes a float: start a microsecond early, drop what was sent
            options["since"] = query.after_ns / _SECONDS_NS - 1e-6
        else:
            options["tail"] = "all" if query.tail is None else query.tail
        self._after_ns = query.after_ns
        wanted = [name for name, on in (("stdout", query.stdout), ("stderr", query.stderr)) if on]
        try:
            for name in wanted:
                stream = api.logs(container_id, stdout=name == "stdout", stderr=name == "stderr", **options)
                self._streams.append(stream)
        except BaseException:
            self.close()  # the first request stays open otherwise
            raise
        self._running = len(wanted)
        for name, stream in zip(wanted, self._streams, strict=True):
            threading.Thread(target=self._read, args=(stream, name), name=f"web-logs-{name}", daemon=True).start()

    def _read(self, stream: Any, name: str) -> None:
        pending = b""
        try:
            for chunk in stream:
                # a TTY's output comes in arbitrary chunks, a multiplexed stream in whole lines: split both
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    self._put(raw, name)
            if pending:
                self._put(pending, name)
        except Exception as e:  # noqa: BLE001 - the request ends however the engine or close() ends it
            if not self._closed.is_set():
                self._queue.put(f"web: the {name} log stream failed: {e}")
        self._queue.put(None)  # this stream is done

    def _put(self, raw: bytes, name: str) -> None:
        line = parse_log_line(raw, name)
        if line is not None and line.time_ns > self._after_ns:
            self._queue.put(line)

    def lines(self, heartbeat: float) -> Iterator[LogLine | str | None]:
        """Lines, error messages (str), and None every `heartbeat` seconds of silence; ends with the streams."""
        running = self._running
        while running:
            try:
                item = self._queue.get(timeout=heartbeat)
            except queue.Empty:
                yield None
                continue
            if item is None:
                running -= 1
            else:
                yield item

    def close(self) -> None:
        self._closed.set()
        for stream in self._streams:
            stream.close()
