"""What healthchecks cost (issue 14): N idle containers, each probed every second (`--health-cmd true
--health-interval 1s`), measured over --seconds: the CPU of the daemon (its own process) and of the containers'
cgroups (the probers and the probes themselves), against the same containers without healthchecks; side by side
with a dockerd (its dockerd, containerd and shims, and its containers' cgroups) running --docker-containers.
The floor is what the probe command alone costs: N spawns of `true` per second on the host.
Goal: 100 containers probed every second cost less than 5% of a core.

    .venv/bin/python bench/bench_healthcheck.py [--containers 100] [--seconds 30] [--docker-containers 10]
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.daemon import TestDaemon, busybox_tar, running  # noqa: E402
from tests.support.dockerd import running_dockerd  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
TICKS = os.sysconf("SC_CLK_TCK")
HEALTH = ["--health-cmd", "true", "--health-interval", "1s"]


def process_cpu(pid: int) -> float:
    """Seconds of CPU of a process and the children it reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS


def cgroups_cpu(parent: str) -> float:
    group = CPUACCT / parent
    if not group.is_dir():
        return 0.0
    return sum(int((g / "cpuacct.usage").read_text()) for g in group.iterdir() if g.is_dir()) / 1e9


def measure(pids, parent: str, seconds: float) -> tuple[float, float]:
    """(daemon-side CPU, containers' CPU) in seconds per second of wall time."""
    start = (sum(process_cpu(p) for p in pids()), cgroups_cpu(parent))
    time.sleep(seconds)  # the measurement window itself: nothing to wait for
    end = (sum(process_cpu(p) for p in pids()), cgroups_cpu(parent))
    return (end[0] - start[0]) / seconds, (end[1] - start[1]) / seconds


def run_containers(docker, count: int, health: bool) -> list[str]:
    flags = [*HEALTH] if health else []
    return [
        docker("run", "-d", "--network", "none", *flags, "busybox", "sleep", "36000", check=True)
        .stdout.decode()
        .strip()
        for _ in range(count)
    ]


def healthy(docker, ids: list[str]) -> bool:
    out = docker("inspect", "-f", "{{.State.Health.Status}}", *ids).stdout.decode().split()
    return out.count("healthy") == len(ids)


def probe_floor(count: int, seconds: float) -> float:
    """CPU seconds per second of `count` spawns of true per second, the probe command alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    null = os.open("/dev/null", os.O_RDWR)
    spawns = int(count * seconds)
    for _ in range(spawns):
        pid = os.posix_spawn("/bin/true", ["true"], {}, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
        os.waitpid(pid, 0)
    after, self_after = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) + (
        self_after.ru_utime + self_after.ru_stime - self_before.ru_utime - self_before.ru_stime
    )
    return used / seconds


def report(name: str, count: int, daemon: float, containers: float, base: tuple[float, float]) -> None:
    extra = (daemon - base[0]) + (containers - base[1])
    print(
        f"  {name:10} {count:4} containers: daemon side {daemon * 100:5.1f}% of a core, "
        f"containers {containers * 100:5.1f}%"
        f" (idle without healthchecks {sum(base) * 100:.1f}%) -> healthchecks {extra * 100:5.1f}% of a core, "
        f"{extra / count * 1000:.2f} ms of CPU per probe",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--docker-containers", type=int, default=10, help="0: no dockerd")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-health-") as scratch:
        root = Path(scratch)
        image = busybox_tar(root / "busybox.tar")
        floor = probe_floor(args.containers, min(args.seconds, 10.0))
        print(f"floor: {args.containers} spawns of /bin/true per second cost {floor * 100:.1f}% of a core")
        with running(TestDaemon(root / "porthole"), image) as porthole:
            pids = lambda: [porthole.process.pid]  # noqa: E731
            run_containers(porthole.docker, args.containers, health=False)
            base = measure(pids, porthole.cgroup_parent, min(args.seconds, 10.0))
            porthole.remove_everything()
            ids = run_containers(porthole.docker, args.containers, health=True)
            wait_for(lambda: healthy(porthole.docker, ids), 120, interval=1, what="every container healthy")
            report("porthole", args.containers, *measure(pids, porthole.cgroup_parent, args.seconds), base)
        if args.docker_containers:
            with running_dockerd(root / "d", image) as dockerd:
                run_containers(dockerd.docker, args.docker_containers, health=False)
                base = measure(dockerd.pids, dockerd.cgroup_parent, min(args.seconds, 10.0))
                ids = [c for c in dockerd.docker("ps", "-q").stdout.decode().split()]
                dockerd.docker("rm", "-f", *ids, check=True)
                ids = run_containers(dockerd.docker, args.docker_containers, health=True)
                wait_for(lambda: healthy(dockerd.docker, ids), 120, interval=1, what="every container healthy")
                report("dockerd", args.docker_containers, *measure(dockerd.pids, dockerd.cgroup_parent, args.seconds),
                       base)  # fmt: skip


if __name__ == "__main__":
    main()
