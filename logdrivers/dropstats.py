"""The shim's count of lines dropped in mode=non-blocking, kept in a small file beside the container's log.

The shim writes it (atomically: temp file and rename) at most once a second while drops happen and at exit;
the daemon reads it when /metrics is scraped. Counts carry over a container restart: a new shim starts from
what the file holds, so the exported counter only resets when the container is removed.
"""

import json
import os
from pathlib import Path

from logdrivers.driver import DropCounts
from logdrivers.errors import LogFileError

DROP_STATS_FILE = "log-drops.json"


def drop_stats_path(log_path: Path) -> Path:
    return log_path.with_name(DROP_STATS_FILE)


def read_drop_stats(path: Path) -> DropCounts:
    """Zero if the file does not exist (no drops yet); LogFileError if it cannot be read or parsed."""
    try:
        raw = json.loads(path.read_bytes())
        return DropCounts(int(raw["lines"]), int(raw["bytes"]))
    except FileNotFoundError:
        return DropCounts()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LogFileError(path, "read drop counts", exc) from exc


def write_drop_stats(path: Path, counts: DropCounts) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps({"lines": counts.lines, "bytes": counts.bytes}))
        os.replace(temporary, path)
    except OSError as exc:
        raise LogFileError(path, "write drop counts", exc) from exc
