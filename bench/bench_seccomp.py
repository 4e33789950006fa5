"""The cost of the seccomp filter (issue 15), side by side with Docker in the same run.

1. A syscall-heavy loop inside a container (the probe's getpid and stat loops, a million calls each, timed in
   CPU time so that waiting for a CPU on a shared machine does not count), under the default profile and under
   `--security-opt seccomp=unconfined`, in porthole and in a Docker daemon of the bench's own (Debian's
   docker.io, its own data root and socket, no bridge), both running at once and their containers taking turns;
   the floor is the same loop on the host, with no filter. The filter's cost per call is confined - unconfined.
   Both calls are ones the kernel's seccomp action cache answers without running the program (printed, from an
   emulation of the kernel's check, tests/support/seccomp_cache.py): what is left to compare is the kernel's
   seccomp entry, the same for any one filter, and the noise between containers, which the verdict weighs.
   On the host, without containers, the loops also run under a one-instruction allow-all filter (the least any
   filter, Docker's included, can cost) and under porthole's program, taking turns: what the program adds to
   that least is its own cost.
2. What loading the program costs a fresh process (the kernel checks it and fills its action cache; the compile
   is cached in the daemon), and `run --rm busybox true` with and without the filter in porthole.

    .venv/bin/python bench/bench_seccomp.py [--calls 1000000] [--runs 11] [--starts 30] [--no-docker]
"""

import argparse
import contextlib
import functools
import os
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median, quantiles

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runtime.linux.syscalls import seccomp_set_filter  # noqa: E402
from runtime.security.seccomp_filter import FilterCache  # noqa: E402
from tests.support.daemon import TestDaemon, busybox_tar  # noqa: E402
from tests.support.dockerd import running_dockerd  # noqa: E402
from tests.support.probe import IN_CONTAINER, build_probe, probe_mount  # noqa: E402
from tests.support.seccomp_cache import default_filter, kernel_cache_allows  # noqa: E402
from tests.support.timing import alternated_ms  # noqa: E402

UNCONFINED = ("--security-opt", "seccomp=unconfined")


@dataclass(frozen=True)
class Loop:
    """Every run's ns per call, filtered and unconfined."""

    confined: list[float]
    unconfined: list[float]

    def cost(self, pick) -> float:
        return pick(self.confined) - pick(self.unconfined)


def loop_ns(hosts: dict[str, str], probe: Path, loop: str, calls: int, runs: int) -> dict[str, Loop]:
    """ns per call of `loop` in containers of each daemon, filtered and unconfined. The four kinds of container
    take turns within each of `runs` rounds, so that a change in the machine's state (another process, the
    CPU's clock) falls on every kind alike rather than on whichever daemon ran last."""
    values: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in hosts}
    for _ in range(runs):
        for name, host in hosts.items():
            for flags, into in zip(((), UNCONFINED), values[name], strict=True):
                out = subprocess.run(
                    ["docker", "-H", host, "run", "--rm", "--network", "none", *probe_mount(probe), *flags,
                     "busybox", IN_CONTAINER, loop, str(calls)],
                    capture_output=True, check=True, timeout=300,
                ).stdout  # fmt: skip
                into.append(float(out))
    return {name: Loop(*confined_unconfined) for name, confined_unconfined in values.items()}


# RET ALLOW and nothing else: the least any filter (Docker's too) costs a call, the kernel's seccomp entry
ALLOW_ALL = struct.pack("=HBBI", 0x06, 0, 0, 0x7FFF0000)


def host_ns(probe: Path, loop: str, calls: int, runs: int, programs: dict[str, bytes | None]) -> dict[str, list[float]]:
    """ns per call of `loop` in a process of the host under each program (None: no filter), taking turns: no
    container, so what differs between them is the filter alone."""
    values: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(runs):
        for name, program in programs.items():
            load = None if program is None else functools.partial(seccomp_set_filter, program)
            out = subprocess.run([str(probe), loop, str(calls)], capture_output=True, check=True, preexec_fn=load)
            values[name].append(float(out.stdout))
    return values


def load_ms(program: bytes, loads: int) -> list[float]:
    """ms each of `loads` forked children takes to load `program` (the kernel checks it and fills its action
    cache): what an init pays for the filter at a start, the compile being cached in the daemon."""
    took = []
    for _ in range(loads):
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            began = time.perf_counter()
            seccomp_set_filter(program)
            os.write(writer, str(time.perf_counter() - began).encode())
            os._exit(0)
        os.close(writer)
        took.append(float(os.read(reader, 64)) * 1000)
        os.close(reader)
        os.waitpid(pid, 0)
    return sorted(took)


def start_ms(host: str, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Fastest and median ms of a start with the filter and without, alternated so that the machine's load hits
    both alike."""
    commands = [
        ["docker", "-H", host, "run", "--rm", "--network", "none", *flags, "busybox", "true"]
        for flags in ((), UNCONFINED)
    ]
    with_filter, without = alternated_ms(commands, runs)
    return with_filter, without


LOOP_CALLS = {"getpid-loop": "getpid", "stat-loop": "stat"}


def show_loop(loop: str, results: dict[str, Loop]) -> None:
    for name, runs in results.items():
        print(f"  {name:9} {loop:12} filtered {min(runs.confined):7.1f} ns/call (median {median(runs.confined):7.1f})"
              f"   unconfined {min(runs.unconfined):7.1f} ({median(runs.unconfined):7.1f})"
              f"   filter cost {runs.cost(min):6.1f} ({runs.cost(median):6.1f}) ns/call")  # fmt: skip


def verdict(ours: Loop, theirs: Loop) -> str:
    """Porthole's filter cost against Docker's, medians over the rounds; a difference smaller than the rounds'
    own spread (the interquartile range of porthole's filtered calls) is reported as such, not as a result."""
    difference = ours.cost(median) - theirs.cost(median)
    quartiles = quantiles(ours.confined, n=4)
    spread = quartiles[2] - quartiles[0]
    if difference <= 0:
        return f"not above Docker's ({difference:+.1f} ns/call)"
    if difference <= spread:
        return f"{difference:+.1f} ns/call, within the rounds' spread of {spread:.1f} ns: no difference measured"
    return f"ABOVE Docker's by {difference:.1f} ns/call (spread {spread:.1f} ns)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--no-docker", action="store_true", help="porthole and the floor only")
    args = parser.parse_args()
    program = FilterCache().program(default_filter())
    with tempfile.TemporaryDirectory(prefix="bench-seccomp-") as scratch, contextlib.ExitStack() as stack:
        root = Path(scratch)
        probe = build_probe(root)
        image = busybox_tar(root / "busybox.tar")
        print(f"syscall loops, {args.calls} calls, {args.runs} rounds taking turns: fastest (median)")
        programs = {"no filter": None, "allow-all filter": ALLOW_ALL, "porthole's program": program}
        for loop, call in LOOP_CALLS.items():
            cached = "answers" if kernel_cache_allows(program, call) else "does NOT answer"
            on_host = host_ns(probe, loop, args.calls, args.runs, programs)
            figures = ", ".join(f"{name} {min(v):.1f} ({median(v):.1f})" for name, v in on_host.items())
            added = min(on_host["porthole's program"]) - min(on_host["allow-all filter"])
            print(f"  host      {loop:12} {figures} ns/call: porthole's program adds {added:+.1f} ns to the least a"
                  f" filter costs (the kernel's action cache {cached} {call} under it)")  # fmt: skip
        daemon = TestDaemon(root / "porthole")
        daemon.start()
        stack.callback(daemon.stop)
        daemon.docker("import", str(image), "busybox:latest", check=True)
        hosts = {"porthole": daemon.host}
        if not args.no_docker:
            hosts["docker"] = stack.enter_context(running_dockerd(root / "docker", image)).host
        loops = {loop: loop_ns(hosts, probe, loop, args.calls, args.runs) for loop in LOOP_CALLS}
        for loop, results in loops.items():
            show_loop(loop, results)
        loads = load_ms(program, args.starts)
        print(f"loading porthole's program ({len(program) // 8} instructions) in a fresh process: fastest "
              f"{loads[0]:.2f} ms, median {median(loads):.2f} ms of {args.starts}")  # fmt: skip
        with_filter, without = start_ms(daemon.host, args.starts)
        for what, index in (("fastest", 0), ("median", 1)):
            added = with_filter[index] - without[index]
            print(f"run --rm busybox true, {what} of {args.starts}: filtered {with_filter[index]:.1f} ms, "
                  f"unconfined {without[index]:.1f} ms, the filter adds {added:+.1f} ms (goal: <= +5 ms)")  # fmt: skip
        if not args.no_docker:
            for loop, results in loops.items():
                print(f"{loop}: porthole's filter against Docker's: {verdict(results['porthole'], results['docker'])}")


if __name__ == "__main__":
    main()
