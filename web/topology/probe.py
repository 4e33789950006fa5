"""The probe: every few seconds, one report of its host (web.topology.report).

Because the runtime is ours, nothing is guessed: a container's processes are those in its pid namespace,
its sockets those of its network namespace (read once, through any of its processes), and each socket's
process is found through the socket inodes in /proc/<pid>/fd. The host's own processes are those in the
probe's network namespace; processes in other namespaces that no container of this engine owns (another
runtime's, another host's on the same kernel) are left out.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from exporter.readers.paths import PROC_ROOT
from exporter.readers.samples import ReadError
from exporter.records import ContainerRecord
from exporter.watcher import ContainerWatcher
from web.read_errors import ReadErrorTally
from web.sampler import HOST_KEY, Sampler
from web.topology.netns_sockets import namespace_sockets
from web.topology.proc_net import LISTEN, read_local_addresses
from web.topology.proc_processes import ProcessStat, list_pids, namespace_inode, read_cmdline, read_stat
from web.topology.report import ContainerFacts, Endpoint, HostFacts, Listener, ProcessFacts, Report
from web.topology.usage import percent, sampled_load, sampled_usage

log = logging.getLogger("porthole.web.topology")

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
_KTHREADD = 2  # the kernel threads' parent: they hold no sockets and belong to no container
_WILDCARDS = ("0.0.0.0", "::")


class Probe:
    def __init__(
        self,
        watcher: ContainerWatcher | None,
        sampler: Sampler,
        *,
        host_id: str | None = None,
        host_pid: int | None = None,
        proc_root: Path = PROC_ROOT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """watcher: the containers to report, refreshed at each report (None: the host's processes only).
        sampler: whose history gives the containers' and the host's CPU and memory. host_pid: a process in
        the host's namespaces (default: the probe itself). Sockets are asked through their fds only when
        proc_root is the real /proc (a fake one's pids are not its processes)."""
        self.host_id = host_id or socket.gethostname()
        self.probe_id = f"{self.host_id};{secrets.token_hex(4)}"
        self._watcher = watcher
        self._sampler = sampler
        self._host_pid = host_pid or os.getpid()
        self._proc_root = proc_root
        self._take_fds = proc_root == PROC_ROOT
        self._clock = clock
        self._cpu_ticks: dict[tuple[int, int], int] = {}  # (pid, start) -> utime + stime at the last report
        self._cmdlines: dict[tuple[int, int], str] = {}
        self._last_time: float | None = None
        self.read_errors = ReadErrorTally(log)
        self.tables_read = 0  # namespaces whose TCP tables the last report read (the costly way)

    def report(self) -> Report:
        now = self._clock()
        elapsed = None if self._last_time is None else now - self._last_time
        self._last_time = now
        errors: list[ReadError] = []
        records: tuple[ContainerRecord, ...] = ()
        if self._watcher is not None:
            # a container removed a moment ago is gone from this very report; _locate finds gone processes
            self._watcher.refresh(check_processes=False)
            records = self._watcher.records()
        host_netns = namespace_inode(self._host_pid, "net", self._proc_root) or 0
        host_pidns = namespace_inode(self._host_pid, "pid", self._proc_root) or 0
        by_pidns, by_pid, netns_of = self._locate(records, host_pidns)
        processes = self._processes(host_netns, by_pidns, by_pid, elapsed, errors)
        endpoints, listeners = self._sockets(processes, errors)
        containers = tuple(self._container(c, netns_of.get(c.id)) for c in records)
        host = self._host(host_netns, errors)
        self.read_errors.add(errors)
        return Report(self.probe_id, now, host, containers, tuple(processes), endpoints, listeners)

    def _locate(
        self, records: Iterable[ContainerRecord], host_pidns: int
    ) -> tuple[dict[int, str], dict[int, str], dict[str, int]]:
        """Container ids by pid namespace (and by init pid for one sharing the host's), and their netns."""
        by_pidns: dict[int, str] = {}
        by_pid: dict[int, str] = {}
        netns_of: dict[str, int] = {}
        for c in records:
            pid = c.pid
            if not c.live:
                continue
            pidns = namespace_inode(pid, "pid", self._proc_root)
            netns = namespace_inode(pid, "net", self._proc_root)
            if pidns is None or netns is None:
                self._watcher.stale(c.id)  # type: ignore[union-attr]  # exited since it was inspected
                continue
            netns_of[c.id] = netns
            if pidns == host_pidns:
                by_pid[pid] = c.id
            else:
                by_pidns[pidns] = c.id
        return by_pidns, by_pid, netns_of

    def _processes(
        self,
        host_netns: int,
        by_pidns: dict[int, str],
        by_pid: dict[int, str],
        elapsed: float | None,
        errors: list[ReadError],
    ) -> list[ProcessFacts]:
        found = []
        ticks: dict[tuple[int, int], int] = {}
        cmdlines: dict[tuple[int, int], str] = {}
        for pid in list_pids(self._proc_root):
            pidns = namespace_inode(pid, "pid", self._proc_root)
            netns = namespace_inode(pid, "net", self._proc_root)
            if pidns is None or netns is None:
                continue  # gone
            container = by_pidns.get(pidns) or by_pid.get(pid)
            if container is None and netns != host_netns:
                continue  # not ours to show
            stat = read_stat(pid, self._proc_root, errors)
            if stat is None or pid == _KTHREADD or stat.ppid == _KTHREADD:
                continue
            key = (pid, stat.start_ticks)
            cmdline = self._cmdlines.get(key)
            if cmdline is None:
                cmdline = read_cmdline(pid, self._proc_root, errors)
                if cmdline is None:
                    continue
            cmdlines[key] = cmdline
            ticks[key] = stat.cpu_ticks
            found.append(self._process(stat, cmdline, netns, container, elapsed))
        self._cpu_ticks, self._cmdlines = ticks, cmdlines
        return found

    def _process(
        self, stat: ProcessStat, cmdline: str, netns: int, container: str | None, elapsed: float | None
    ) -> ProcessFacts:
        before = self._cpu_ticks.get((stat.pid, stat.start_ticks))
        used = None if before is None or not elapsed else (stat.cpu_ticks - before) / _TICKS_PER_SECOND
        return ProcessFacts(
            pid=stat.pid,
            ppid=stat.ppid,
            name=stat.name,
            cmdline=cmdline or f"[{stat.name}]",
            threads=stat.threads,
            rss_bytes=stat.rss_bytes,
            netns=netns,
            container=container,
            cpu_percent=percent(used, elapsed),
        )

    def _sockets(
        self, processes: list[ProcessFacts], errors: list[ReadError]
    ) -> tuple[tuple[Endpoint, ...], tuple[Listener, ...]]:
        members: dict[int, list[int]] = {}
        for process in processes:
            members.setdefault(process.netns, []).append(process.pid)
        endpoints: list[Endpoint] = []
        listeners: list[Listener] = []
        tables = 0
        for netns, pids in members.items():
            found = namespace_sockets(sorted(pids), self._proc_root, errors, take_fds=self._take_fds)
            tables += found.read_table
            listening = {(s.local_ip, s.local_port) for s in found.sockets if s.state == LISTEN}
            for s in found.sockets:
                pid = found.owners.get(s.inode) if s.inode else None
                if s.state == LISTEN:
                    listeners.append(Listener(netns, s.local_ip, s.local_port, pid))
                    continue
                server = (s.local_ip, s.local_port) in listening or any(
                    (w, s.local_port) in listening for w in _WILDCARDS
                )
                endpoints.append(Endpoint(netns, pid, s.local_ip, s.local_port, s.remote_ip, s.remote_port, server))
        self.tables_read = tables
        return tuple(endpoints), tuple(listeners)

    def _container(self, c: ContainerRecord, netns: int | None) -> ContainerFacts:
        live = netns is not None
        cpu, memory = sampled_usage(self._sampler.history, c.id) if live else (None, None)
        return ContainerFacts(
            id=c.id,
            name=c.name,
            image=c.image,
            state=c.state,
            pid=c.pid if live else 0,
            netns=netns,
            command=c.command,
            created=c.created,
            started_at=c.started_at,
            restart_count=c.restart_count,
            networks=c.networks,
            ports=c.ports,
            labels=c.labels,
            cpu_percent=cpu,
            memory_bytes=memory,
            memory_limit=c.memory_limit,
        )

    def _host(self, netns: int, errors: list[ReadError]) -> HostFacts:
        local, address_errors = read_local_addresses(self._host_pid, self._proc_root)
        errors.extend(address_errors)
        machine = self._sampler.host
        cpu, memory = sampled_usage(self._sampler.history, HOST_KEY)
        return HostFacts(
            id=self.host_id,
            hostname=socket.gethostname(),
            netns=netns,
            addresses=local.addresses,
            networks=local.networks,
            kernel=os.uname().release,
            cpus=machine.online_cpus,
            memory_total=machine.mem_total,
            load=sampled_load(self._sampler.history),
            cpu_percent=cpu,
            memory_bytes=memory,
        )
