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
            entry = orjson.loads(raw.lstrip(b"\0"))
            log, stream, when = entry.get("log", ""), entry.get("stream", ""), entry["time"]
            if not isinstance(stream, str):
                raise TypeError("stream is not a string")
            timestamp_ns = self._times.parse(when)
            line = log.encode()
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
            self.skipped += 1
            return None
        attrs = entry.get("attrs")
        return Message(
            line[:-1] if line.endswith(b"\n") else line,
            stream,
            timestamp_ns,
            self._partial(stream, ends_line=line.endswith(b"\n")),
            attrs if isinstance(attrs, dict) else None,
        )

    def _partial(self, stream: str, ends_line: bool) -> PartialMeta | None:
        previous = self._open_chains.pop(stream, None)
        if ends_line:
            return None if previous is None else PartialMeta(previous.id, previous.ordinal + 1, last=True)
        piece = (
            PartialMeta(random_partial_id(), 1, False)
            if previous is None
            else (PartialMeta(previous.id, previous.ordinal + 1, False))
        )
        self._open_chains[stream] = piece
        return piece
