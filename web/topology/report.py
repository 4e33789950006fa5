"""What a probe reports about its host at one moment: the host, its containers, processes, connected
sockets and listening ones. The app joins reports of several hosts (web.topology.joining) into edges.

Unlike Scope, a report carries facts, not pre-built topologies: every address join happens in one place,
in the app, over the reports of every host at once (a connection's two ends may be on two hosts).
Reports travel as JSON (msgspec: typed decoding, so a malformed report is refused with the field named).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from exporter.records import NetworkAddress, PublishedPort
from web.topology.errors import InvalidReport

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class HostFacts:
    id: str  # unique among the hosts of one map (default: the hostname)
    hostname: str
    netns: int  # inode of the host's network namespace
    addresses: tuple[str, ...]  # its own addresses, loopback left out
    networks: tuple[str, ...]  # CIDRs of the networks its interfaces are on
    kernel: str = ""
    cpus: int | None = None
    memory_total: int | None = None
    load: tuple[float, float, float] | None = None
    cpu_percent: float | None = None  # of one core, as `docker stats`
    memory_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class ContainerFacts:
    id: str
    name: str
    image: str
    state: str  # created, running, paused, restarting, exited, dead
    pid: int  # 0 unless running or paused
    netns: int | None  # None unless it has a process
    command: str = ""
    created: float | None = None
    started_at: float | None = None
    restart_count: int = 0
    networks: tuple[NetworkAddress, ...] = ()
    ports: tuple[PublishedPort, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    cpu_percent: float | None = None
    memory_bytes: int | None = None
    memory_limit: int | None = None


@dataclass(frozen=True, slots=True)
class ProcessFacts:
    pid: int
    ppid: int
    name: str
    cmdline: str
    threads: int
    rss_bytes: int
    netns: int
    container: str | None  # the id of the container it runs in; None on the host itself
    cpu_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One end of a TCP connection as seen in one network namespace."""

    netns: int
    pid: int | None  # None when no process holds it any more (TIME_WAIT) or it was not found
    local_ip: str
    local_port: int
    remote_ip: str
    remote_port: int
    server: bool  # its namespace listens on the local port: this is the accepting side


@dataclass(frozen=True, slots=True)
class Listener:
    netns: int
    ip: str  # 0.0.0.0 or ::: every address of the namespace
    port: int
    pid: int | None


@dataclass(frozen=True, slots=True)
class Report:
    probe_id: str  # one per probe process: a probe that restarts is a new source
    timestamp: float  # unix seconds
    host: HostFacts
    containers: tuple[ContainerFacts, ...] = ()
    processes: tuple[ProcessFacts, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    listeners: tuple[Listener, ...] = ()
    version: int = FORMAT_VERSION


_decoder = msgspec.json.Decoder(Report)


def encode_report(report: Report) -> bytes:
    return msgspec.json.encode(report)


def decode_report(data: bytes) -> Report:
    """:raise InvalidReport: naming the field that is missing or of the wrong type."""
    try:
        report = _decoder.decode(data)
    except msgspec.ValidationError as e:
        raise InvalidReport(f"topology: invalid report: {e}") from e
    except msgspec.DecodeError as e:
        raise InvalidReport(f"topology: invalid report: not JSON: {e}") from e
    if report.version != FORMAT_VERSION:
        raise InvalidReport(
            f"topology: invalid report version {report.version}: this app reads version {FORMAT_VERSION}"
        )
    if not report.host.id:
        raise InvalidReport("topology: invalid report field host.id: it is empty")
    return report
