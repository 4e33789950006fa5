"""Soak (issue 18): 50 idle and 10 logging containers for 15 minutes (--hour: 60), the exporter's /metrics scraped
every second and `docker stats --no-stream` run every 10 s. Each minute: the resident memory (RSS) of the daemon,
the shim zygote, the shims (sum and median) and the exporter. Reported: each process's growth from the first
minute (after a minute of warm-up) to the last, which must stay under 5 %; the scrape's p50 and p99 latency and its
errors; the `docker stats` round trip.

Side by side (--docker, on when dockerd is installed): Debian's dockerd, started by the bench with a data root,
exec root, socket and cgroup parent of its own (no bridge, no iptables), runs the same containers and the same
`docker stats`; dockerd's, containerd's and its shims' RSS per minute likewise. Both use --network none, so the
figures are the engines' and not their network set-ups'. Needs root.

    .venv/bin/python bench/bench_soak.py [--minutes 15 | --hour] [--idle 50] [--logging 10] [--no-docker]
"""

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.daemon import TestDaemon, busybox_tar, running  # noqa: E402
from tests.support.exporter import exporter_process  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402

GROWTH_LIMIT = 0.05
DOCKER_CGROUP_PARENT = "bench-soak-docker"
LOGGING = "i=0; while true; do i=$((i+1)); echo soak line $i; sleep 0.1; done"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    except (FileNotFoundError, StopIteration):
        return 0


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError, IndexError):
                if parent(int(entry)) == pid:
                    found.append(int(entry))
    return found


@dataclass
class Engine:
    """One engine under soak: how to reach it and which processes are its own."""

    name: str
    host: str
    processes: dict[str, int]  # label -> pid (daemon, zygote, exporter / dockerd, containerd)
    container_ids: list[str] = field(default_factory=list)
    samples: list[dict[str, float]] = field(default_factory=list)  # per minute: label -> KiB
    stats_seconds: list[float] = field(default_factory=list)
    stats_errors: int = 0

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "-H", self.host, *args], capture_output=True, timeout=timeout)

    def shim_pids(self) -> list[int]:
        """The parent of each container's init: porthole's shim, or containerd-shim."""
        result = self.docker("inspect", "--format", "{{.State.Pid}}", *self.container_ids)
        return sorted({parent(int(p)) for p in result.stdout.split() if int(p) > 0})

    def sample(self) -> None:
        values = {label: float(rss_kib(pid)) for label, pid in self.processes.items()}
        shims = [rss_kib(pid) for pid in self.shim_pids()]
        values["shims (sum)"] = float(sum(shims))
        values["shim (median)"] = float(statistics.median(shims)) if shims else 0.0
        self.samples.append(values)

    def stats(self) -> None:
        started = time.monotonic()
        result = self.docker("stats", "--no-stream", "--format", "{{.ID}} {{.MemUsage}}", timeout=60)
        self.stats_seconds.append(time.monotonic() - started)
        lines = result.stdout.decode().splitlines()
        if result.returncode != 0 or len(lines) != len(self.container_ids):
            self.stats_errors += 1


def start_containers(engine: Engine, idle: int, logging: int) -> None:
    for i in range(idle):
        run = engine.docker("run", "-d", "--network", "none", "--name", f"idle{i}", "busybox", "sleep", "86400")
        engine.container_ids.append(run.stdout.decode().strip())
    for i in range(logging):
        log_opts = ("--log-opt", "max-size=10m", "--log-opt", "max-file=2")
        command = ("busybox", "sh", "-c", LOGGING)
        run = engine.docker("run", "-d", "--network", "none", *log_opts, "--name", f"logging{i}", *command)
        engine.container_ids.append(run.stdout.decode().strip())
    failed = [c for c in engine.container_ids if not c]
    if failed:
        raise SystemExit(f"{engine.name}: {len(failed)} containers did not start")


@contextlib.contextmanager
def dockerd(root: Path, busybox: Path) -> Iterator[Engine]:
    """Debian's dockerd with everything of its own, stopped and wiped after."""
    root.mkdir(parents=True)
    socket = root / "docker.sock"
    log = open(root / "dockerd.log", "ab")
    process = subprocess.Popen(
        [
            "dockerd",
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "dockerd.pid"),
            "-H", f"unix://{socket}",
            "--bridge", "none",
            "--iptables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--cgroup-parent", DOCKER_CGROUP_PARENT,
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )  # fmt: skip
    engine = Engine("docker", f"unix://{socket}", {"dockerd": process.pid})
    try:
        wait_for(lambda: engine.docker("version").returncode == 0, 60, what="dockerd")
        containerd = next((p for p in children(process.pid) if "containerd" in cmdline(p)), None)
        if containerd is not None:
            engine.processes["containerd"] = containerd
        engine.docker("import", str(busybox), "busybox:latest")
        yield engine
    finally:
        if engine.container_ids:
            engine.docker("rm", "-f", *engine.container_ids)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for line in reversed(Path("/proc/self/mountinfo").read_text().splitlines()):
            point = line.split()[4]
            if point.startswith(str(root)):
                subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(root, ignore_errors=True)
        for hierarchy in Path("/sys/fs/cgroup").iterdir():  # every v1 hierarchy and the hybrid host's cgroup2
            with contextlib.suppress(FileNotFoundError):
                (hierarchy / DOCKER_CGROUP_PARENT).rmdir()


def scrape(port: int) -> float | None:
    started = time.monotonic()
    try:
        with _OPENER.open(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            response.read()
            ok = response.status == 200
    except OSError:
        return None
    return time.monotonic() - started if ok else None


def soak(engines: list[Engine], exporter_port: int, minutes: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    started = time.monotonic()
    next_stats = next_sample = started
    for second in range(minutes * 60 + 1):
        now = time.monotonic()
        if now >= next_sample:
            for engine in engines:
                engine.sample()
            report_minute(engines, len(engines[0].samples) - 1)
            next_sample += 60
        if now >= next_stats:
            for engine in engines:
                engine.stats()
            next_stats += 10
        latency = scrape(exporter_port)
        if latency is None:
            errors += 1
        else:
            latencies.append(latency)
        time.sleep(max(0.0, started + second + 1 - time.monotonic()))
    return latencies, errors


def report_minute(engines: list[Engine], minute: int) -> None:
    parts = []
    for engine in engines:
        values = engine.samples[-1]
        parts.append(f"{engine.name}: " + ", ".join(f"{label} {kib / 1024:.1f}" for label, kib in values.items()))
    print(f"  minute {minute:3d}  MiB RSS  " + " | ".join(parts), flush=True)


def growth(engine: Engine) -> dict[str, float]:
    """Last minute against the first after the warm-up (minute 1)."""
    first, last = engine.samples[min(1, len(engine.samples) - 1)], engine.samples[-1]
    return {label: (last[label] - first[label]) / first[label] for label in first if first[label]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=15)
    parser.add_argument("--hour", action="store_true", help="soak for 60 minutes")
    parser.add_argument("--idle", type=int, default=50)
    parser.add_argument("--logging", type=int, default=10)
    parser.add_argument("--no-docker", action="store_true", help="porthole alone, without dockerd beside it")
    args = parser.parse_args()
    minutes = 60 if args.hour else args.minutes
    with_docker = not args.no_docker and shutil.which("dockerd") is not None
    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    busybox = busybox_tar(work / "busybox.tar")
    print(f"soak: {args.idle} idle + {args.logging} logging containers for {minutes} min; /metrics every 1 s, "
          f"docker stats every 10 s{'; dockerd side by side' if with_docker else ''}")  # fmt: skip
    try:
        with contextlib.ExitStack() as stack:
            daemon = stack.enter_context(running(TestDaemon(work / "porthole"), busybox))
            port = stack.enter_context(exporter_process(daemon.host, work / "exporter.log"))
            exporter = next(p for p in children(os.getpid()) if f"127.0.0.1:{port}" in cmdline(p))
            zygote = next(p for p in children(daemon.process.pid) if "runtime.shim.zygote" in cmdline(p))
            porthole = Engine(
                "porthole", daemon.host, {"daemon": daemon.process.pid, "zygote": zygote, "exporter": exporter}
            )
            engines = [porthole]
            if with_docker:
                engines.append(stack.enter_context(dockerd(work / "docker", busybox)))
            for engine in engines:
                start_containers(engine, args.idle, args.logging)
            latencies, errors = soak(engines, port, minutes)
            p50, p99 = (percentile(latencies, q) * 1000 for q in (0.5, 0.99))
            print(f"\nscrapes: {len(latencies) + errors}, errors {errors}, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
            worst = 0.0
            for engine in engines:
                grown = growth(engine)
                line = ", ".join(f"{label} {g * 100:+.1f} %" for label, g in grown.items())
                print(f"{engine.name}: growth from minute 1 to {len(engine.samples) - 1}: {line}")
                print(f"{engine.name}: docker stats p50 {percentile(engine.stats_seconds, 0.5):.2f} s, "
                      f"max {max(engine.stats_seconds):.2f} s, errors {engine.stats_errors}")  # fmt: skip
                if engine is porthole:
                    worst = max(grown.values())
                    porthole.docker("rm", "-f", *porthole.container_ids)
            verdict = "met" if worst < GROWTH_LIMIT and errors == 0 else "NOT met"
            print(f"goal: porthole's growth < {GROWTH_LIMIT * 100:.0f} % and no scrape error: {verdict}")
            return 0 if verdict == "met" else 1
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
