"""One network namespace's TCP sockets and the process holding each, the cheapest exact way.

/proc/<pid>/net/sockstat (a few microseconds: per-namespace counters) says first whether the namespace
has TCP sockets at all, and whether any is in TIME_WAIT. A namespace without any costs nothing more; one
with TIME_WAIT sockets, or whose processes' fds cannot be taken, has its tables read (web.topology.proc_net);
the others have their sockets asked through the fds that hold them (web.topology.held_sockets). A socket
held only by a process of another namespace (made there through setns) is seen only the table's way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from exporter.readers.files import FileReader
from exporter.readers.samples import ReadError
from web.topology.held_sockets import CannotTakeFds, held_tcp_sockets
from web.topology.proc_net import TcpSocket, parse_sockstat, read_tcp
from web.topology.proc_processes import socket_fds

log = logging.getLogger("porthole.web.topology")


@dataclass(frozen=True, slots=True)
class NamespaceSockets:
    sockets: list[TcpSocket]
    owners: dict[int, int]  # socket inode -> the lowest pid holding it (a forking server's parent: the listener)
    read_table: bool  # whether the tables were read (for the probe's figures)


def _counts(pid: int, proc_root: Path) -> dict[str, dict[str, int]] | None:
    """TCP and TCP6 counters of the namespace; None when sockstat cannot be read (then: read the table)."""
    reader = FileReader()
    found = {}
    for name in ("sockstat", "sockstat6"):
        text = reader.text(f"{proc_root}/{pid}/net/{name}", optional=True)
        if text is None:
            return None
        found.update(parse_sockstat(text))
    return found


def namespace_sockets(pids: list[int], proc_root: Path, errors: list[ReadError], *, take_fds: bool) -> NamespaceSockets:
    """pids: the namespace's processes, lowest first. take_fds: whether the pids are real ones (a fake
    /proc in tests has none to take)."""
    counts = _counts(pids[0], proc_root)
    if counts is not None:
        tcp, tcp6 = counts.get("TCP", {}), counts.get("TCP6", {})
        if not tcp.get("inuse") and not tcp.get("tw") and not tcp6.get("inuse"):
            return NamespaceSockets([], {}, False)
    held = {pid: socket_fds(pid, proc_root) for pid in pids}
    owners: dict[int, int] = {}
    for pid, fds in held.items():
        for _, inode in fds:
            owners.setdefault(inode, pid)
    if take_fds and counts is not None and not counts.get("TCP", {}).get("tw"):
        try:
            return NamespaceSockets(_held(held, owners), owners, False)
        except CannotTakeFds as e:
            log.debug("topology: %s: reading the table instead (it tells the same, at its price)", e)
    for pid in pids:
        table, read_errors = read_tcp(pid, proc_root)
        if table or not read_errors:
            errors.extend(read_errors)
            return NamespaceSockets(table, owners, True)
    return NamespaceSockets([], owners, True)


def _held(held: dict[int, list[tuple[int, int]]], owners: dict[int, int]) -> list[TcpSocket]:
    sockets = []
    for pid, fds in held.items():
        mine = [(fd, inode) for fd, inode in fds if owners[inode] == pid]  # each socket once, from its owner
        sockets.extend(held_tcp_sockets(pid, mine))
    return sockets
