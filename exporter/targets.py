"""What the exporter exports: one Target per cgroup, prepared at discovery, and the protocol of the sources
that find them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from exporter.readers.samples import CgroupPaths, SpecStats


@dataclass(frozen=True, slots=True)
class Target:
    """One cgroup to export. Everything here is found once, at discovery; a scrape only reads counters."""

    id: str  # the id label: the cgroup's path, "/" for the host (cAdvisor)
    paths: CgroupPaths
    pid: int  # a process in the group, whose network namespace is the container's; 1 for the host
    name: str = ""  # the container's name without Docker's leading "/"
    image: str = ""  # Config.Image as given ("busybox:latest")
    labels: Mapping[str, str] = field(default_factory=dict)  # the container's labels, as given
    started_at: float | None = None  # unix seconds
    created_at: float | None = None
    upper_dir: str | None = None  # the writable layer; "/" for the host: its root filesystem
    spec: SpecStats | None = None  # limits, read at discovery (they change only on `docker update`)
    root: bool = False  # the host's root group: read with read_root_cgroup
    health: str | None = None  # State.Health.Status (starting, healthy, unhealthy); None without a healthcheck


class TargetSource(Protocol):
    """Finds the containers to export (over the Engine API, or a fixed list for benchmarks)."""

    def targets(self) -> tuple[Target, ...]:
        """The targets of the last discovery; the same tuple object until something changes. No I/O."""
        ...

    def stale(self) -> None:
        """A target's group has vanished: discover again soon."""
        ...

    def start(self) -> None:
        """Discover once, then keep discovering in the background."""
        ...

    def close(self) -> None:
        """Stop discovering."""
        ...


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_timestamp(text: str | None) -> float | None:
    """Unix seconds from the Engine API's RFC 3339 times, nanoseconds included (Python's own parser takes
    at most microseconds). None for an empty time or Go's zero time "0001-01-01T00:00:00Z" (never)."""
    if not text or text.startswith("0001-"):
        return None
    m = _RFC3339.match(text)
    if m is None:
        return None
    whole, fraction, zone = m.groups()
    seconds = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone)).timestamp()
    return seconds + (float("0" + fraction) if fraction else 0.0)
