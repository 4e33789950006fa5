"""The shim's counts of lines it lost, in small files the daemon reads when /metrics is scraped.

log-drops.json           lines and bytes dropped in mode=non-blocking, beside the container's log
log-write-failures.json  lines lost to failed writes (a full disk), in the container's directory under the exec
                         root: a write that fails for want of space on the data root could not save a count there

The shim writes them (atomically: temp file and rename) at most once a second while losses happen and at exit.
Counts carry over a container restart: a new shim starts from what the file holds, so the exported counters only
reset when the container is removed.
"""

import json
import os
from pathlib import Path

from logdrivers.driver import DropCounts
from logdrivers.errors import LogFileError

DROP_STATS_FILE = "log-drops.json"
WRITE_FAILURES_FILE = "log-write-failures.json"


def drop_stats_path(log_path: Path) -> Path:
    return log_path.with_name(DROP_STATS_FILE)


def read_drop_stats(path: Path) -> DropCounts:
    """Zero if the file does not exist (no drops yet); LogFileError if it cannot be read or parsed."""
    raw = _read_counts(path, "read drop counts", ("lines", "bytes"))
    return DropCounts(raw["lines"], raw["bytes"])


def write_drop_stats(path: Path, counts: DropCounts) -> None:
    _write_counts(path, "write drop counts", {"lines": counts.lines, "bytes": counts.bytes})


def read_failed_lines(path: str | Path) -> int:
    """Lines lost to failed writes; zero if the file does not exist, LogFileError if it cannot be read."""
    return _read_counts(path, "read write-failure counts", ("lines",))["lines"]


def write_failed_lines(path: str | Path, lines: int) -> None:
    _write_counts(path, "write write-failure counts", {"lines": lines})


def _read_counts(path: str | Path, what: str, keys: tuple[str, ...]) -> dict[str, int]:
    try:
        with open(path, "rb") as f:
            raw = json.loads(f.read())
        return {key: int(raw[key]) for key in keys}
    except FileNotFoundError:
        return dict.fromkeys(keys, 0)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LogFileError(path, what, exc) from exc


def _write_counts(path: str | Path, what: str, counts: dict[str, int]) -> None:
    temporary = f"{path}.tmp"  # a str: the shim writes it, and pathlib's pages would be copied into each one
    try:
        with open(temporary, "w") as f:
            f.write(json.dumps(counts))
        os.replace(temporary, path)
    except OSError as exc:
        raise LogFileError(path, what, exc) from exc
