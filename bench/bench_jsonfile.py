"""json-file throughput: `seq 1 N` through the copier into the json-file driver (issue 4).

Prints lines/s and CPU microseconds per line (this process only, the copier's side; seq's CPU is not
counted) for porthole's pipeline and for the floor: a plain Python loop that reads 64 KiB at a time and
writes Docker's lines itself. Compared with Docker's json-file on the same kind of machine: measured live
when --docker-image names an image in a reachable Docker daemon, otherwise the anchor from
/work/shared/reference/measured-anchors.md (490k lines/s, 2.1 us of dockerd CPU per line).

    .venv/bin/python bench/bench_jsonfile.py [--lines 2000000] [--runs 3] [--docker-image busybox:local]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.rfc3339 import format_ns  # noqa: E402
from logdrivers.copier import Copier  # noqa: E402
from logdrivers.info import ContainerInfo  # noqa: E402
from logdrivers.registry import builtin_registry  # noqa: E402
from logdrivers.shimwriter import open_writer, writer_plan  # noqa: E402

DOCKER_ANCHOR_LINES_PER_S = 490_000
TARGET_LINES_PER_S = 1_500_000  # issue 4: about 3x Docker's 490k lines/s
TARGET_CPU_US_PER_LINE = 0.7


@dataclass(frozen=True)
class Result:
    seconds: float
    cpu_seconds: float
    lines: int

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.seconds

    @property
    def cpu_us_per_line(self) -> float:
        return self.cpu_seconds / self.lines * 1e6


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(lines: int, consume: Callable[[int], None]) -> Result:
    """Start `seq 1 lines` writing into a pipe, let `consume(read_fd)` drain it, and time that."""
    read_fd, write_fd = os.pipe()
    cpu0, t0 = _cpu(), time.perf_counter()
    seq = subprocess.Popen(["seq", "1", str(lines)], stdout=write_fd)
    os.close(write_fd)
    try:
        consume(read_fd)
    finally:
        os.close(read_fd)
        seq.wait()
    return Result(time.perf_counter() - t0, _cpu() - cpu0, lines)


def floor_loop(read_fd: int, log_path: Path) -> None:
    """The minimal program: 64 KiB reads, Docker's line per input line, one write per read."""
    with open(log_path, "ab", buffering=0) as out:
        rest = b""
        while chunk := os.read(read_fd, 65536):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            tail = b'\\n","stream":"stdout","time":"' + format_ns(time.time_ns()).encode() + b'"}\n'
            out.write(b"".join([b'{"log":"' + line + tail for line in lines]))


def porthole_pipeline(read_fd: int, log_path: Path) -> None:
    info = ContainerInfo(
        id="0" * 64,
        name="/bench",
        image_id="sha256:" + "0" * 64,
        image_name="bench",
        entrypoint="seq",
        args=(),
        created="2026-01-01T00:00:00Z",
        log_path=log_path,
    )
    driver = open_writer(writer_plan(builtin_registry().validate("json-file", {}), info))
    Copier({"stdout": read_fd}, driver).run()


def docker_run(lines: int, image: str) -> Result | None:
    """Docker's json-file on the same workload: `docker run -d image seq 1 N`, then `docker wait`."""
    probe = subprocess.run(["docker", "version"], capture_output=True)
    if probe.returncode != 0:
        print(f"docker: no daemon answers ({probe.stderr.decode().strip()[:80]}); using the anchor")
        return None
    t0 = time.perf_counter()
    cid = subprocess.run(
        ["docker", "run", "-d", image, "seq", "1", str(lines)], capture_output=True, check=True, text=True
    ).stdout.strip()
    try:
        subprocess.run(["docker", "wait", cid], capture_output=True, check=True)
        return Result(time.perf_counter() - t0, float("nan"), lines)
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)


def median_result(results: list[Result]) -> Result:
    return Result(
        statistics.median(r.seconds for r in results),
        statistics.median(r.cpu_seconds for r in results),
        results[0].lines,
    )


def measure(name: str, lines: int, runs: int, work: Callable[[int, Path], None]) -> Result:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-jsonfile-") as tmp:
        for run in range(runs):
            log_path = Path(tmp) / f"{name}-{run}-json.log"
            results.append(_timed(lines, lambda fd, p=log_path: work(fd, p)))
            produced = sum(1 for _ in open(log_path, "rb"))
            if produced != lines:
                raise SystemExit(f"{name}: wrote {produced} entries for {lines} lines")
            log_path.unlink()
    return median_result(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--docker-image", help="measure Docker live with this image (needs seq in it)")
    args = parser.parse_args()

    floor = measure("floor", args.lines, args.runs, floor_loop)
    ours = measure("porthole", args.lines, args.runs, porthole_pipeline)
    docker = docker_run(args.lines, args.docker_image) if args.docker_image else None
    docker_rate = docker.lines_per_s if docker else DOCKER_ANCHOR_LINES_PER_S

    print(f"seq 1 {args.lines} -> json-file, median of {args.runs} runs")
    for label, r in (("floor (plain loop)", floor), ("porthole copier+json-file", ours)):
        print(f"  {label:27s} {r.lines_per_s / 1e6:6.2f} M lines/s  {r.cpu_us_per_line:5.3f} us CPU/line")
    source = "measured now" if docker else "anchor, measured-anchors.md"
    print(f"  {'docker json-file':27s} {docker_rate / 1e6:6.2f} M lines/s  ({source})")
    print(f"  porthole / floor : {ours.lines_per_s / floor.lines_per_s:.2f}x throughput")
    print(f"  porthole / docker: {ours.lines_per_s / docker_rate:.2f}x throughput")
    verdict = ours.lines_per_s >= TARGET_LINES_PER_S and ours.cpu_us_per_line <= TARGET_CPU_US_PER_LINE
    print(
        f"  target >= {TARGET_LINES_PER_S / 1e6:.2f} M lines/s at <= {TARGET_CPU_US_PER_LINE} us CPU/line: "
        + ("met" if verdict else "NOT met")
    )


if __name__ == "__main__":
    main()
