"""One scrape's reading of every target: cgroupfs and /proc read once, into immutable samples."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from exporter.layers import FilesystemUsage
from exporter.readers.cgroup import read_cgroup, read_root_cgroup
from exporter.readers.devices import DeviceNames
from exporter.readers.procfs import PROC_ROOT, read_host, read_net_dev
from exporter.readers.samples import BlkioDevice, CgroupStats, HostStats, InterfaceCounters, ReadError
from exporter.targets import Target

# cAdvisor's isIgnoredDevice (container/libcontainer/handler.go): the host ends of container links and
# Docker's bridges say nothing about the container itself.
IGNORED_INTERFACE_PREFIXES = ("lo", "veth", "docker", "nerdctl")


@dataclass(frozen=True, slots=True)
class ContainerSample:
    target: Target
    stats: CgroupStats
    interfaces: tuple[tuple[str, InterfaceCounters], ...]  # name -> counters, ignored ones left out
    devices: tuple[tuple[str, BlkioDevice], ...]  # "/dev/vda" -> I/O counters
    filesystem: FilesystemUsage | None  # the writable layer's usage, from the last measurement
    seen_at: float  # unix seconds of this reading (container_last_seen)


@dataclass(frozen=True, slots=True)
class Snapshot:
    rows: tuple[tuple[str, ContainerSample], ...]  # (label text, sample) per target still present
    host: HostStats
    errors: tuple[ReadError, ...]
    vanished: int  # targets whose group went away since discovery (not errors: containers come and go)


def take_snapshot(
    prepared: Sequence[tuple[str, Target]],
    *,
    filesystems: Callable[[str], FilesystemUsage | None],
    devices: DeviceNames,
    proc_root: Path = PROC_ROOT,
) -> Snapshot:
    """Read every prepared (label text, target). A target whose group or process is gone is left out."""
    host, errors = read_host(proc_root)
    now = time.time()
    rows = []
    vanished = 0
    for labels, target in prepared:
        if target.root:
            stats, cgroup_errors = read_root_cgroup(target.paths)
        else:
            stats, cgroup_errors = read_cgroup(target.paths, include_spec=False)
        interfaces, net_errors = read_net_dev(target.pid, proc_root)
        if (cgroup_errors or net_errors) and _vanished(target, proc_root):
            vanished += 1
            continue
        errors.extend(cgroup_errors)
        errors.extend(net_errors)
        sample = ContainerSample(
            target=target,
            stats=stats,
            interfaces=tuple(
                (name, counters)
                for name, counters in interfaces.items()
                if not name.startswith(IGNORED_INTERFACE_PREFIXES)
            ),
            devices=tuple((devices.name(d.major, d.minor), d) for d in stats.blkio),
            filesystem=None if target.upper_dir is None else filesystems(target.upper_dir),
            seen_at=now,
        )
        rows.append((labels, sample))
    return Snapshot(tuple(rows), host, tuple(errors), vanished)


def _vanished(target: Target, proc_root: Path) -> bool:
    """The container stopped between discovery and this scrape: its group was removed (runc and porthole
    remove it at exit), or its process is gone."""
    return not all(os.path.isdir(d) for d in target.paths.dirs.values()) or not os.path.isdir(
        f"{proc_root}/{target.pid}"
    )
