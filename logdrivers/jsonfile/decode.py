"""json-file lines back into messages, tolerating what a crash leaves behind.

A json-file entry keeps no partial metadata: a piece of a cut line is an entry whose log does not end in
"\\n". The decoder rebuilds the chains per stream (ordinals from 1, last on the piece with the newline) so
`Message.printed()` gives back exactly the stored bytes.
"""

from typing import Any

import orjson

from common.rfc3339 import TimeParser
from logdrivers.message import Message, PartialMeta, random_partial_id


class EntryDecoder:
    def __init__(self) -> None:
        self._times = TimeParser()
        self._open_chains: dict[str, PartialMeta] = {}  # stream -> last piece seen
        self.skipped = 0  # lines that were not a json-file entry (half-written, NUL-filled, foreign)
        self._last_time: object = None
        self._last_time_ns = 0

    def decode(self, raw: bytes) -> Message | None:
        """The entry on one line, or None (counted in `skipped`) if the line is not one."""
        # A crash can leave a run of NULs before the next entry (Docker #29511): the entry is still good.
        try:
            entry = orjson.loads(raw.lstrip(b"\0") if raw[:1] == b"\0" else raw)
        except orjson.JSONDecodeError:
            self.skipped += 1
            return None
        return self._message(entry)

    def decode_many(self, raws: list[bytes]) -> list[Message]:
        """The entries of many lines in order, damaged ones skipped and counted: one parse for the lot when
        every line is an entry (the shipper's hot path), line by line otherwise."""
        try:
            entries = orjson.loads(b"[" + b",".join(raws) + b"]")
        except orjson.JSONDecodeError:
            entries = None
        if entries is None or len(entries) != len(raws):  # a line like "1,2" would count twice
            decoded = [self.decode(raw) for raw in raws]
            return [msg for msg in decoded if msg is not None]
        messages: list[Message] = []
        append = messages.append
        last_time, last_ns = self._last_time, self._last_time_ns
        for entry in entries:
            # The common entry (a whole line of a known time, no attrs, no open chain) inline; the rest carefully.
            try:
                log, stream, text = entry["log"], entry["stream"], entry["time"]
                common = text == last_time and log[-1:] == "\n" and len(entry) == 3 and type(stream) is str
            except (KeyError, TypeError):
                common = False
            if common and not self._open_chains:
                append(Message(log[:-1].encode(), stream, last_ns))
                continue
            msg = self._message(entry)
            if msg is not None:
                append(msg)
            last_time, last_ns = self._last_time, self._last_time_ns
        return messages

    def _message(self, entry: Any) -> Message | None:
        try:
            log, stream = entry.get("log", ""), entry.get("stream", "")
            text = entry["time"]
            if text != self._last_time:  # the lines of one read share their time
                self._last_time_ns = self._times.parse(text)
                self._last_time = text
            ends_line = log[-1:] == "\n"
            line = (log[:-1] if ends_line else log).encode()
            if not isinstance(stream, str):
                raise TypeError("stream is not a string")
        except (AttributeError, KeyError, TypeError, ValueError):
            self.skipped += 1
            return None
        attrs = entry.get("attrs")
        partial = self._partial(stream, ends_line) if self._open_chains or not ends_line else None
        return Message(line, stream, self._last_time_ns, partial, attrs if isinstance(attrs, dict) else None)

    def _partial(self, stream: str, ends_line: bool) -> PartialMeta | None:
        previous = self._open_chains.pop(stream, None)
        if ends_line:
            return None if previous is None else PartialMeta(previous.id, previous.ordinal + 1, last=True)
        if previous is None:
            piece = PartialMeta(random_partial_id(), 1, False)
        else:
            piece = PartialMeta(previous.id, previous.ordinal + 1, False)
        self._open_chains[stream] = piece
        return piece
