"""Terminals (issue 14), side by side with Docker in one run:
  - keystroke round trip through `docker exec -it <c> cat`: a byte typed at the client's terminal until its echo
    (by the container's terminal) is read back from that terminal; median and p90 of --keys keystrokes;
  - a 10 MB burst of terminal output, `docker exec -t <c> sh -c 'head -c 10000000 /dev/zero | tr "\\0" a'`,
    MB/s from its first byte to its last, read from the client's terminal, and again with the client's stdout
    a pipe (the daemon's and the CLI's part alone: a terminal's 4 KiB reads bound what it shows).
The same real docker CLI drives a porthole daemon and a Debian docker.io dockerd (started here with its own
roots, no bridge, stopped after), run by run in turn. The floor is the same work on a local pseudo-terminal with
no container, and for the burst also the same static busybox's output relayed from a pseudo-terminal to a pipe by
script(1).
Goals: round trip <= 0.5x Docker's; burst throughput >= 2x Docker's.

    .venv/bin/python bench/bench_terminal.py [--keys 200] [--runs 3] [--no-docker]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.daemon import TestDaemon, busybox_tar, running  # noqa: E402
from tests.support.dockerd import running_dockerd  # noqa: E402
from tests.support.terminal import TerminalSession  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402

BURST_BYTES = 10_000_000
BURST = f"head -c {BURST_BYTES} /dev/zero | tr '\\0' a"


def keystroke_round_trips(argv: list[str], keys: int, raw: bool) -> list[float]:
    """Seconds from writing one byte to reading its echo, `keys` times (after a warm-up of 20)."""
    with TerminalSession(argv) as term:
        if raw:
            wait_for(term.in_raw_mode, 30, what="raw mode")
        times = []
        for i in range(keys + 20):
            key = b"abcdefghij"[i % 10 : i % 10 + 1]
            started = time.perf_counter()
            term.type(key)
            term.expect(key, timeout=10)
            if i >= 20:
                times.append(time.perf_counter() - started)
            time.sleep(0.002)  # a pause between keys, as typing has: each is its own read
        return times


def burst_throughput(argv: list[str]) -> float:
    """MB/s of terminal output from the first byte read to the last."""
    with TerminalSession(argv) as term:
        first = last = None
        received = 0
        while received < BURST_BYTES:
            data = term.read(30)
            if not data:
                break
            last = time.perf_counter()
            first = first or last
            received += len(data)
        term.wait(60)
    if received < BURST_BYTES or first is None or last is None or last <= first:
        raise SystemExit(f"bench: the burst gave {received} bytes, not {BURST_BYTES}")
    return received / (last - first) / 1e6


def piped_burst_throughput(argv: list[str]) -> float:
    """MB/s of the same output when the client's stdout is a pipe: the daemon's and the CLI's part alone,
    without the client's terminal (whose 4 KiB reads bound what a terminal shows)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = last = None
    received = 0
    while data := process.stdout.read1(1 << 20):
        last = time.perf_counter()
        first = first or last
        received += len(data)
    process.wait(60)
    if received < BURST_BYTES or first is None or last is None or last <= first:
        raise SystemExit(f"bench: the piped burst gave {received} bytes, not {BURST_BYTES}")
    return received / (last - first) / 1e6


def relay_floor(runs: int) -> float:
    """MB/s of the containers' burst (the same static busybox, on the host) through a pseudo-terminal that
    script(1) relays to a pipe: what relaying a terminal's output costs with no container, daemon or socket.
    Every runtime relays the master so (Docker's shim, porthole's daemon), and a terminal gives 4 KiB a read."""
    burst = f"busybox head -c {BURST_BYTES} /dev/zero | busybox tr '\\0' a"
    return statistics.median(piped_burst_throughput(["script", "-qc", burst, "/dev/null"]) for _ in range(runs))


@dataclass
class Figures:
    """One engine's (or the floor's) samples, gathered over the runs."""

    name: str
    trips: list[float] = field(default_factory=list)
    bursts: list[float] = field(default_factory=list)
    piped: list[float] = field(default_factory=list)

    def add_run(self, host: str | None, keys: int) -> None:
        """One run: `keys` keystrokes, one burst to a terminal and one to a pipe (the floor's without docker)."""

        def docker(*args: str) -> list[str]:
            return ["docker", "-H", host, *args] if host else list(args)

        key_argv = docker("exec", "-it", "box", "cat") if host else ["cat"]
        burst_argv = docker("exec", "-t", "box", "sh", "-c", BURST) if host else ["sh", "-c", BURST]
        self.trips += keystroke_round_trips(key_argv, keys, raw=host is not None)
        self.bursts.append(burst_throughput(burst_argv))
        self.piped.append(piped_burst_throughput(burst_argv))

    @property
    def median_us(self) -> float:
        return statistics.median(self.trips) * 1e6

    def show(self) -> str:
        p90 = statistics.quantiles(self.trips, n=10)[-1] * 1e6
        return (
            f"  {self.name:24} keystroke round trip median {self.median_us:7.0f} us  p90 {p90:7.0f} us"
            f"   10 MB burst: to a terminal {statistics.median(self.bursts):6.1f} MB/s, to a pipe "
            f"{statistics.median(self.piped):6.1f} MB/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-docker", action="store_true", help="porthole and the floor only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tty-") as scratch, ExitStack() as daemons:
        root = Path(scratch)
        image = busybox_tar(root / "busybox.tar")
        floor = Figures("floor (local pty)")
        for _ in range(args.runs):
            floor.add_run(None, args.keys)
        print(floor.show(), flush=True)
        print(f"  {'floor (pty relayed)':24} the containers' burst relayed by script(1) to a pipe: "
              f"{relay_floor(args.runs):6.1f} MB/s", flush=True)  # fmt: skip
        hosts = {"docker CLI -> porthole": daemons.enter_context(running(TestDaemon(root / "porthole"), image))}
        if not args.no_docker:
            hosts["docker CLI -> dockerd"] = daemons.enter_context(running_dockerd(root / "d", image))
        for daemon in hosts.values():
            daemon.docker("run", "-d", "--name", "box", "--network", "none", "busybox", "sleep", "3600", check=True)
        engines = [Figures(name) for name in hosts]
        # Run by run, in turn, the first to go alternating: the machine's speed drifts within minutes, and one
        # engine measured after the other would carry the drift into the ratio.
        for run in range(args.runs):
            for engine in engines if run % 2 == 0 else engines[::-1]:
                engine.add_run(hosts[engine.name].host, args.keys)
        for engine in engines:
            print(engine.show())
    if len(engines) == 2:
        ours, docker = engines
        burst, piped = (
            statistics.median(o / d for o, d in zip(mine, theirs, strict=True))
            for mine, theirs in ((ours.bursts, docker.bursts), (ours.piped, docker.piped))
        )
        print(
            f"porthole/Docker: round trip {ours.median_us / docker.median_us:.2f}x (goal <= 0.5x), "
            f"burst throughput to a terminal {burst:.2f}x, to a pipe {piped:.2f}x (goal >= 2x; medians of the "
            "runs' ratios)"
        )


if __name__ == "__main__":
    main()
