"""A shipper's persisted state: where shipping stands in the local log, and its counters.

Written after every delivered batch (temporary file, rename), so a daemon killed at any moment resends at most
the batch it was delivering; fsync'ed at most once per interval, so the disk cost stays flat at high rates (a
power loss can roll the position back by one interval: more duplicates, never a lost line).
"""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from logdrivers.errors import LogFileError
from logdrivers.shipping.cursor import Position

STATE_FILE = "log-shipping.json"


@dataclass(slots=True)
class ShippingCounters:
    shipped_lines: int = 0
    shipped_bytes: int = 0  # line bytes, newlines excluded
    refused_lines: int = 0  # the collector can never take them (e.g. a GELF message over 128 chunks)
    rotated_away_lines: int = 0  # removed from the local log by rotation before they were shipped
    removed_unsent_lines: int = 0  # still unshipped when the container was removed and the drain gave up
    errors: int = 0  # failed delivery attempts
    resumes: int = 0  # starts from a persisted position (each may resend up to one batch)


@dataclass(slots=True)
class ShippingState:
    driver: str
    position: Position | None = None
    counters: ShippingCounters = field(default_factory=ShippingCounters)


def state_path(log_path: Path) -> Path:
    return log_path.with_name(STATE_FILE)


def load_state(path: Path) -> ShippingState | None:
    """None if there is no state yet; LogFileError if the file is damaged."""
    try:
        raw = json.loads(path.read_bytes())
        position = Position(**raw["position"]) if raw.get("position") else None
        return ShippingState(raw["driver"], position, ShippingCounters(**raw["counters"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LogFileError(path, "read shipping state", exc) from exc


def save_state(path: Path, state: ShippingState, sync: bool) -> None:
    body = {
        "driver": state.driver,
        "position": asdict(state.position) if state.position is not None else None,
        "counters": asdict(state.counters),
    }
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "w") as f:
            f.write(json.dumps(body))
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise LogFileError(path, "write shipping state", exc) from exc
