"""json-file lines back into messages, tolerating what a crash leaves behind.

A json-file entry keeps no partial metadata: a piece of a cut line is an entry whose log does not end in
"\\n". The decoder rebuilds the chains per stream (ordinals from 1, last on the piece with the newline) so
`Message.printed()` gives back exactly the stored bytes.
"""

import orjson

from logdrivers.jsonfile.timestamps import TimeParser
from logdrivers.message import Message, PartialMeta, random_partial_id


class EntryDecoder:
    def __init__(self) -> None:
        self._times = TimeParser()
        self._open_chains: dict[str, PartialMeta] = {}  # stream -> last piece seen
        self.skipped = 0  # lines that were not a json-file entry (half-written, NUL-filled, foreign)

    def decode(self, raw: bytes) -> Message | None:
        """The entry on one line, or None (counted in `skipped`) if the line is not one."""
        # A crash can leave a run of NULs before the next entry (Docker #29511): the entry is still good.
        try:
            entry = orjson.loads(raw.lstrip(b"\0") if raw[:1] == b"\0" else raw)
            log, stream = entry.get("log", ""), entry.get("stream", "")
            timestamp_ns = self._times.parse(entry["time"])
            ends_line = log[-1:] == "\n"
            line = (log[:-1] if ends_line else log).encode()
            if not isinstance(stream, str):
                raise TypeError("stream is not a string")
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
            self.skipped += 1
            return None
        attrs = entry.get("attrs")
        partial = self._partial(stream, ends_line) if self._open_chains or not ends_line else None
        return Message(line, stream, timestamp_ns, partial, attrs if isinstance(attrs, dict) else None)

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
