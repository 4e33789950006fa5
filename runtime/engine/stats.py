"""A container's counters for `GET /containers/{id}/stats`, read from cgroupfs and /proc through the exporter's
readers, so `docker stats` and the Prometheus exporter compute each number the same way (runtime.api.shapes.stats
renders Docker's JSON from a sample).

The readers' partial-result policy holds here too (STYLE rule 7): a file that cannot be read costs only its own
values; the failure is counted (`read_errors`, exported as porthole_stats_read_errors_total) and logged at most
once a minute, never dropped in silence.
"""

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.throttle import LogThrottle
from exporter.readers.cgroup import read_cgroup
from exporter.readers.procfs import PROC_ROOT, read_host, read_net_dev
from exporter.readers.samples import CgroupPaths, CgroupStats, HostStats, InterfaceCounters, ReadError
from runtime.cgroups import detect_mode
from runtime.engine.config import DaemonConfig
from runtime.engine.helperpids import helper_pids
from runtime.engine.launch import cgroup_for
from runtime.engine.model import LIVE, Container

log = logging.getLogger("porthole.engine")


@dataclass(frozen=True, slots=True)
class StatsSample:
    """One reading of a container's counters; a container with no process has none (`read_ns` 0)."""

    container_id: str
    name: str  # without Docker's leading slash
    read_ns: int = 0  # when it was read, ns since the epoch
    cgroup: CgroupStats = field(default_factory=CgroupStats)
    host: HostStats = field(default_factory=HostStats)
    networks: Mapping[str, InterfaceCounters] = field(default_factory=dict)  # by interface, without lo


class StatsReader:
    def __init__(self, config: DaemonConfig, proc_root: Path = PROC_ROOT) -> None:
        self._config = config
        self._proc_root = proc_root
        self._lock = threading.Lock()
        self._read_errors = 0
        self._unreported = 0
        self._log_throttle = LogThrottle()

    @property
    def read_errors(self) -> int:
        """Files that could not be read or parsed, since the daemon started."""
        return self._read_errors

    def sample(self, container: Container) -> StatsSample:
        if container.state.status not in LIVE:
            return StatsSample(container.id, container.name)
        paths = CgroupPaths(detect_mode(self._config.cgroup_root), cgroup_for(self._config, container.id).paths())
        cgroup, cgroup_errors = read_cgroup(paths, include_spec=False)
        cgroup = self._without_helpers(cgroup, container)
        host, host_errors = read_host(self._proc_root)
        # A container on the host's network has no interfaces of its own: Docker reports none for it, rather than
        # the host's counters as the container's.
        networks: dict[str, InterfaceCounters] = {}
        net_errors: list[ReadError] = []
        if container.host_config.get("NetworkMode") != "host":
            networks, net_errors = read_net_dev(container.state.pid, self._proc_root)
        self._count([*cgroup_errors, *host_errors, *net_errors], container)
        return StatsSample(
            container.id,
            container.name,
            time.time_ns(),
            cgroup,
            host,
            {name: counters for name, counters in networks.items() if name != "lo"},
        )

    def _without_helpers(self, cgroup: CgroupStats, container: Container) -> CgroupStats:
        """PIDs as Docker counts them: the kernel's pids.current less the daemon's helpers in the cgroup (an exec's,
        a prober), each one single-threaded task."""
        if cgroup.pids is None or cgroup.pids.current is None:
            return cgroup
        helpers = helper_pids(cgroup_for(self._config, container.id).pids(), self._proc_root)
        current = max(cgroup.pids.current - len(helpers), 0)  # a helper may exit between the two reads
        return replace(cgroup, pids=replace(cgroup.pids, current=current))

    def _count(self, errors: list[ReadError], container: Container) -> None:
        if not errors:
            return
        with self._lock:
            self._read_errors += len(errors)
            self._unreported += len(errors)
            if not self._log_throttle.due():
                return
            unreported, self._unreported = self._unreported, 0
        log.warning(
            "engine: stats: %d counter files unread since the last report, latest of container %s: %s",
            unreported,
            container.short_id,
            errors[-1].message,
        )
