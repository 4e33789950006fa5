"""The cost of the seccomp filter (issue 15), side by side with Docker in the same run.

1. A syscall-heavy loop inside a container (the probe's getpid and stat loops, a million calls each, timed in
   CPU time so that waiting for a CPU on a shared machine does not count), under the default profile and under
   `--security-opt seccomp=unconfined`, in porthole and in a Docker daemon of the
   bench's own (Debian's docker.io, its own data root and socket, no bridge); the floor is the same loop on
   the host, with no filter. The filter's cost per call is confined - unconfined.
2. `run --rm busybox true` with and without the filter in porthole: what compiling (cached) and loading it
   adds to a start.

    .venv/bin/python bench/bench_seccomp.py [--calls 1000000] [--runs 5] [--starts 20] [--no-docker]
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.daemon import TestDaemon, busybox_tar  # noqa: E402
from tests.support.dockerd import running_dockerd  # noqa: E402
from tests.support.probe import IN_CONTAINER, build_probe, probe_mount  # noqa: E402
from tests.support.timing import alternated_ms  # noqa: E402

UNCONFINED = ("--security-opt", "seccomp=unconfined")


def loop_ns(host: str, probe: Path, loop: str, calls: int, runs: int) -> tuple[float, float]:
    """Fastest ns per call of `loop` in a container (filtered, unconfined), over `runs` pairs of containers run
    alternately: on a shared machine the other load only ever adds time, so the minimum is the cost."""
    values: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for flags, into in zip(((), UNCONFINED), values, strict=True):
            out = subprocess.run(
                ["docker", "-H", host, "run", "--rm", "--network", "none", *probe_mount(probe), *flags, "busybox",
                 IN_CONTAINER, loop, str(calls)],
                capture_output=True, check=True, timeout=300,
            ).stdout  # fmt: skip
            into.append(float(out))
    return min(values[0]), min(values[1])


def host_ns(probe: Path, loop: str, calls: int, runs: int) -> float:
    return min(
        float(subprocess.run([str(probe), loop, str(calls)], capture_output=True, check=True).stdout)
        for _ in range(runs)
    )


def start_ms(host: str, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Fastest and median ms of a start with the filter and without, alternated so that the machine's load hits
    both alike."""
    commands = [
        ["docker", "-H", host, "run", "--rm", "--network", "none", *flags, "busybox", "true"]
        for flags in ((), UNCONFINED)
    ]
    with_filter, without = alternated_ms(commands, runs)
    return with_filter, without


def measure_loops(name: str, host: str, probe: Path, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    results = {}
    for loop in ("getpid-loop", "stat-loop"):
        confined, unconfined = loop_ns(host, probe, loop, args.calls, args.runs)
        results[loop] = (confined, unconfined)
        print(f"  {name:9} {loop:12} filtered {confined:7.1f} ns/call   unconfined {unconfined:7.1f}   "
              f"filter cost {confined - unconfined:6.1f} ns/call")  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--no-docker", action="store_true", help="porthole and the floor only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-seccomp-") as scratch:
        root = Path(scratch)
        probe = build_probe(root)
        image = busybox_tar(root / "busybox.tar")
        print(f"syscall loops, {args.calls} calls, fastest of {args.runs} containers each")
        for loop in ("getpid-loop", "stat-loop"):
            print(f"  host      {loop:12} no filter {host_ns(probe, loop, args.calls, args.runs):7.1f} ns/call (floor)")
        daemon = TestDaemon(root / "porthole")
        daemon.start()
        try:
            daemon.docker("import", str(image), "busybox:latest", check=True)
            ours = measure_loops("porthole", daemon.host, probe, args)
            with_filter, without = start_ms(daemon.host, args.starts)
        finally:
            daemon.stop()
        theirs = None
        if not args.no_docker:
            with running_dockerd(root / "docker", image) as dockerd:
                theirs = measure_loops("docker", dockerd.host, probe, args)
        for what, index in (("fastest", 0), ("median", 1)):
            added = with_filter[index] - without[index]
            print(f"run --rm busybox true, {what} of {args.starts}: filtered {with_filter[index]:.1f} ms, "
                  f"unconfined {without[index]:.1f} ms, the filter adds {added:+.1f} ms (goal: <= +5 ms)")  # fmt: skip
        if theirs:
            for loop, (confined, unconfined) in ours.items():
                cost, docker_cost = confined - unconfined, theirs[loop][0] - theirs[loop][1]
                verdict = "not above Docker's" if confined <= theirs[loop][0] * 1.05 else "ABOVE Docker's"
                print(f"{loop}: porthole's filter {cost:.1f} ns/call, Docker's {docker_cost:.1f} ns/call; "
                      f"filtered call {confined:.1f} vs {theirs[loop][0]:.1f} ns: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
