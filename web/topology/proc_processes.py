"""Processes from /proc: who they are (stat, cmdline), which namespaces they live in, which sockets they hold.

A process can exit between the listing and any read: that is the normal race of reading /proc, so a
vanished process is skipped (None), and only other failures (a file we cannot parse or may not read) are
reported as ReadErrors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from exporter.readers.samples import ReadError

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_GONE = (FileNotFoundError, ProcessLookupError)  # ESRCH: the task died while its file was read
_SOCKET_PREFIX = "socket:["


@dataclass(frozen=True, slots=True)
class ProcessStat:
    pid: int
    ppid: int
    name: str  # comm: the executable's name, at most 15 characters
    cpu_ticks: int  # utime + stime, in USER_HZ ticks
    start_ticks: int  # since boot: with the pid, names one process even after pids are reused
    threads: int
    rss_bytes: int


def list_pids(proc_root: Path) -> list[int]:
    return [int(name) for name in os.listdir(proc_root) if name.isdigit()]


def parse_stat(text: str) -> ProcessStat:
    """One /proc/<pid>/stat line. :raise ValueError: when it is not one."""
    head, _, tail = text.rpartition(")")  # comm may hold spaces and parentheses: it ends at the last one
    pid_text, _, name = head.partition(" (")
    fields = tail.split()
    if not pid_text or not name or len(fields) < 22:
        raise ValueError(f"invalid stat line {text[:80]!r}: expected 'pid (comm) state ppid ...'")
    # fields[0] is the state (field 3 of proc(5)): field N of proc(5) is fields[N - 3]
    return ProcessStat(
        pid=int(pid_text),
        ppid=int(fields[1]),
        name=name,
        cpu_ticks=int(fields[11]) + int(fields[12]),
        start_ticks=int(fields[19]),
        threads=int(fields[17]),
        rss_bytes=int(fields[21]) * PAGE_SIZE,
    )


def _read(path: str) -> bytes | None:
    """The file's bytes; None when the process is gone. :raise OSError: for any other failure."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except _GONE:
        return None
    try:
        return os.read(fd, 65536)
    except _GONE:
        return None
    finally:
        os.close(fd)


def read_stat(pid: int, proc_root: Path, errors: list[ReadError]) -> ProcessStat | None:
    path = f"{proc_root}/{pid}/stat"
    try:
        data = _read(path)
        return None if data is None else parse_stat(data.decode("latin-1"))
    except OSError as e:
        errors.append(ReadError(Path(path), e.strerror or str(e)))
    except ValueError as e:
        errors.append(ReadError(Path(path), str(e)))
    return None


def read_cmdline(pid: int, proc_root: Path, errors: list[ReadError]) -> str | None:
    """The arguments joined by spaces; "" for a kernel thread; None when the process is gone."""
    path = f"{proc_root}/{pid}/cmdline"
    try:
        data = _read(path)
    except OSError as e:
        errors.append(ReadError(Path(path), e.strerror or str(e)))
        return None
    if data is None:
        return None
    return data.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace")


def namespace_inode(pid: int, kind: str, proc_root: Path) -> int | None:
    """The inode of /proc/<pid>/ns/<kind> ("net", "pid"): processes with the same one share the
    namespace. None when the process is gone, or when it may not be inspected (a security module can deny
    even root the ptrace-read access this needs): either way there is nothing to show of it."""
    try:
        return os.stat(f"{proc_root}/{pid}/ns/{kind}").st_ino
    except (*_GONE, PermissionError):
        return None


def socket_fds(pid: int, proc_root: Path) -> list[tuple[int, int]]:
    """(fd, socket inode) of each socket <pid> holds open (its fds that read `socket:[N]`); [] when it is
    gone or may not be inspected."""
    fd_dir = f"{proc_root}/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except (*_GONE, PermissionError):
        return []
    found = []
    for name in names:
        try:
            target = os.readlink(f"{fd_dir}/{name}")
        except _GONE:
            continue  # closed since the listing
        if target.startswith(_SOCKET_PREFIX):
            found.append((int(name), int(target[len(_SOCKET_PREFIX) : -1])))
    return found
