"""Documents Elasticsearch refused as malformed (400), kept beside the container's log instead of retried.

One JSON object a line: when, the index, the document id, the status and Elasticsearch's error, and the
document itself, so it can be fixed and sent again by hand (`jq -c .document`). The file is bounded: past
MAX_BYTES further rejections are only counted and logged. A document refused again after a daemon restart
(the batch it was in is replayed) is written again: like delivery, the dead letter is at-least-once.
"""

import logging
import os
import time
from pathlib import Path

import orjson

DEAD_LETTER_FILE = "elasticsearch-dead-letter.ndjson"
MAX_BYTES = 16 * 1024 * 1024

_log = logging.getLogger("logdrivers")


class DeadLetterFile:
    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self.full_skipped = 0  # rejections not written because the file is full (or unwritable)

    def write(self, index: str, doc_id: str | None, status: int, error: object, source: bytes) -> bool:
        """Append one refused document; False (counted, logged) if the file is full or cannot be written."""
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "index": index,
            "id": doc_id,
            "status": status,
            "error": error,
        }
        line = orjson.dumps(record)[:-1] + b',"document":' + source + b"}\n"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
            try:
                if os.fstat(fd).st_size + len(line) > self._max_bytes:
                    self._skipped(f"is full ({self._max_bytes} bytes)")
                    return False
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            self._skipped(f"cannot be written: {exc}")
            return False
        return True

    def _skipped(self, why: str) -> None:
        self.full_skipped += 1
        if self.full_skipped == 1 or self.full_skipped % 1000 == 0:  # rate-limited: one line per thousand
            _log.error(
                "logdrivers: elasticsearch dead-letter file %s %s: %d documents not kept",
                self.path,
                why,
                self.full_skipped,
            )
