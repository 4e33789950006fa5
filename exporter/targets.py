"""What the exporter exports: one Target per cgroup, prepared when its container is inspected, and the
protocol of the sources that find them (the container watcher, or a fixed list for benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    container_id: str = ""  # the Engine API's id of the container ("" for the host)


class TargetSource(Protocol):
    """Finds the containers to export. Whoever builds the source starts and closes it: one watcher may serve
    the exporter and the dashboard of one process."""

    def targets(self) -> tuple[Target, ...]:
        """The targets of the last discovery; the same tuple object until something changes. No I/O."""
        ...

    def stale(self) -> None:
        """A target's group has vanished: discover again soon."""
        ...
