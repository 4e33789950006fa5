"""What the host offers to container limits: CPUs, memory nodes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from runtime.cgroups.cpulist import parse_cpu_list

NODES_ONLINE = Path("/sys/devices/system/node/online")


@dataclass(frozen=True, slots=True)
class HostInfo:
    ncpu: int  # CPUs this process may run on (Docker's sysinfo.NumCPU: sched_getaffinity)
    cpus: frozenset[int]
    mems: frozenset[int]

    @classmethod
    def detect(cls, nodes_online: Path = NODES_ONLINE) -> HostInfo:
        cpus = frozenset(os.sched_getaffinity(0))
        try:
            text = nodes_online.read_text().strip()
        except FileNotFoundError:
            text = "0"  # kernels without NUMA support have no node directory: one node, 0
        mems = frozenset(n for first, last in parse_cpu_list(text) for n in range(first, last + 1))
        return cls(ncpu=len(cpus), cpus=cpus, mems=mems)
