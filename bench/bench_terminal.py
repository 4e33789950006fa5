"""Terminals (issue 14), side by side with Docker in one run:
  - keystroke round trip through `docker exec -it <c> cat`: a byte typed at the client's terminal until its echo
    (by the container's terminal) is read back from that terminal; median and p90 of --keys keystrokes;
  - a 10 MB burst of terminal output, `docker exec -t <c> sh -c 'head -c 10000000 /dev/zero | tr "\\0" a'`,
    MB/s from its first byte to its last, read from the client's terminal, and again with the client's stdout
    a pipe (the daemon's and the CLI's part alone: a terminal's 4 KiB reads bound what it shows).
The same real docker CLI drives a porthole daemon and a Debian docker.io dockerd (started here with its own
roots, no bridge, stopped after). The floor is the same work on a local pseudo-terminal with no container, and
for the burst also the same static busybox's output relayed from a pseudo-terminal to a pipe by script(1).
Goals: round trip <= 0.5x Docker's; burst throughput >= 2x Docker's.

    .venv/bin/python bench/bench_terminal.py [--keys 200] [--runs 3] [--no-docker]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
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


def measure(name: str, host: str | None, box: str | None, keys: int, runs: int) -> dict:
    def docker(*args: str) -> list[str]:
        return ["docker", "-H", host, *args] if host else list(args)

    key_argv = docker("exec", "-it", box, "cat") if host else ["cat"]
    burst_argv = docker("exec", "-t", box, "sh", "-c", BURST) if host else ["sh", "-c", BURST]
    trips = [t for _ in range(runs) for t in keystroke_round_trips(key_argv, keys, raw=host is not None)]
    rates = [burst_throughput(burst_argv) for _ in range(runs)]
    piped = [piped_burst_throughput(burst_argv) for _ in range(runs)]
    result = {
        "name": name,
        "median_us": statistics.median(trips) * 1e6,
        "p90_us": statistics.quantiles(trips, n=10)[-1] * 1e6,
        "burst_mb_s": statistics.median(rates),
        "piped_mb_s": statistics.median(piped),
    }
    print(
        f"  {name:24} keystroke round trip median {result['median_us']:7.0f} us  p90 {result['p90_us']:7.0f} us"
        f"   10 MB burst: to a terminal {result['burst_mb_s']:6.1f} MB/s, to a pipe {result['piped_mb_s']:6.1f} MB/s",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-docker", action="store_true", help="porthole and the floor only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tty-") as scratch:
        root = Path(scratch)
        image = busybox_tar(root / "busybox.tar")
        results = [measure("floor (local pty)", None, None, args.keys, args.runs)]
        print(f"  {'floor (pty relayed)':24} the containers' burst relayed by script(1) to a pipe: "
              f"{relay_floor(args.runs):6.1f} MB/s", flush=True)  # fmt: skip
        with running(TestDaemon(root / "porthole"), image) as porthole:
            porthole.docker("run", "-d", "--name", "box", "--network", "none", "busybox", "sleep", "3600", check=True)
            results.append(measure("docker CLI -> porthole", porthole.host, "box", args.keys, args.runs))
        if not args.no_docker:
            with running_dockerd(root / "d", image) as dockerd:
                dockerd.docker("run", "-d", "--name", "box", "--network", "none", "busybox", "sleep", "3600",
                               check=True)  # fmt: skip
                results.append(measure("docker CLI -> dockerd", dockerd.host, "box", args.keys, args.runs))
    if len(results) == 3:
        _, ours, docker = results
        print(
            f"porthole/Docker: round trip {ours['median_us'] / docker['median_us']:.2f}x (goal <= 0.5x), "
            f"burst throughput to a terminal {ours['burst_mb_s'] / docker['burst_mb_s']:.2f}x, "
            f"to a pipe {ours['piped_mb_s'] / docker['piped_mb_s']:.2f}x (goal >= 2x)"
        )


if __name__ == "__main__":
    main()
