"""`porthole stats`: docker's table of CPU %, memory, network and block I/O and PIDs, with the numbers computed
as docker/cli's stats_helpers.go computes them from the stats JSON. `--no-stream` prints one table; otherwise the
table is redrawn every second until interrupted."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from porthole.cli import output

if TYPE_CHECKING:
    from porthole.cli.session import Session

HEADERS = ("CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS")
REDRAW_SECONDS = 1.0
CLEAR_SCREEN = "\x1b[2J\x1b[H"


def cpu_percent(sample: dict[str, Any]) -> float:
    """Δ container CPU time / Δ host CPU time × online CPUs × 100; 0 unless both deltas are positive."""
    cpu, precpu = sample.get("cpu_stats") or {}, sample.get("precpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    cpu_delta = usage.get("total_usage", 0) - (precpu.get("cpu_usage") or {}).get("total_usage", 0)
    system_delta = cpu.get("system_cpu_usage", 0) - precpu.get("system_cpu_usage", 0)
    online = cpu.get("online_cpus") or len(usage.get("percpu_usage") or [])
    if system_delta > 0 and cpu_delta > 0:
        return cpu_delta / system_delta * online * 100.0
    return 0.0


def memory_usage(sample: dict[str, Any]) -> float:
    """Usage without the inactive page cache: total_inactive_file on cgroup v1, inactive_file on v2."""
    memory = sample.get("memory_stats") or {}
    usage, details = memory.get("usage", 0), memory.get("stats") or {}
    if "total_inactive_file" in details and details["total_inactive_file"] < usage:
        return float(usage - details["total_inactive_file"])
    if details.get("inactive_file", 0) < usage:
        return float(usage - details.get("inactive_file", 0))
    return float(usage)


def memory_percent(usage: float, limit: float) -> float:
    return usage / limit * 100.0 if limit else 0.0


def network_io(sample: dict[str, Any]) -> tuple[int, int]:
    networks = (sample.get("networks") or {}).values()
    return sum(n.get("rx_bytes", 0) for n in networks), sum(n.get("tx_bytes", 0) for n in networks)


def block_io(sample: dict[str, Any]) -> tuple[int, int]:
    read = write = 0
    for entry in (sample.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = (entry.get("op") or " ")[0].lower()
        if op == "r":
            read += entry.get("value", 0)
        elif op == "w":
            write += entry.get("value", 0)
    return read, write


def stats_row(sample: dict[str, Any], truncate: bool = True) -> list[str]:
    usage = memory_usage(sample)
    limit = float((sample.get("memory_stats") or {}).get("limit", 0))
    rx, tx = network_io(sample)
    read, write = block_io(sample)
    return [
        output.short_id(sample.get("id", "")) if truncate else sample.get("id", ""),
        (sample.get("name") or "/")[1:],
        f"{cpu_percent(sample):.2f}%",
        f"{output.bytes_size(usage)} / {output.bytes_size(limit)}",
        f"{memory_percent(usage, limit):.2f}%",
        f"{output.human_size(rx)} / {output.human_size(tx)}",
        f"{output.human_size(read)} / {output.human_size(write)}",
        str((sample.get("pids_stats") or {}).get("current", 0)),
    ]


def add_stats_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", "--all", action="store_true", help="all containers (default: running ones)")
    parser.add_argument("--no-stream", action="store_true", help="print one table and exit")
    parser.add_argument("--no-trunc", action="store_true", help="do not shorten IDs")
    parser.add_argument("containers", nargs="*", metavar="CONTAINER")


def stats(args: argparse.Namespace, session: Session) -> int:
    names = args.containers or [c["Id"] for c in session.api.containers(all=args.all)]
    if args.no_stream:
        with ThreadPoolExecutor(max_workers=max(len(names), 1)) as pool:
            samples = list(pool.map(lambda name: session.api.stats(name, stream=False), names))
        output.table(HEADERS, [stats_row(s, not args.no_trunc) for s in samples])
        return 0
    latest: dict[str, dict[str, Any]] = {}
    for name in names:
        threading.Thread(target=_follow, args=(session, name, latest), name=f"stats-{name}", daemon=True).start()
    while True:
        time.sleep(REDRAW_SECONDS)
        sys.stdout.write(CLEAR_SCREEN if sys.stdout.isatty() else "")
        output.table(HEADERS, [stats_row(latest[n], not args.no_trunc) for n in names if n in latest])


def _follow(session: Session, name: str, latest: dict[str, dict[str, Any]]) -> None:
    """Keep `latest[name]` at the newest sample until the container's stream ends; a container that cannot be
    followed (removed meanwhile) leaves the table with the daemon's message on stderr."""
    try:
        for sample in session.api.stats(name, stream=True, decode=True):
            latest[name] = sample
    except Exception as e:
        message = session.failure_message(e)
        if message is None:
            raise
        print(message, file=sys.stderr)
    finally:
        latest.pop(name, None)
