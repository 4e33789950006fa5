"""What healthchecks cost (issue 14): N idle containers, each probed every second (`--health-cmd true
--health-interval 1s`), measured over --seconds: the CPU of the daemon (its own process) and of the containers'
cgroups (the probers, and the probes they reap), against the same containers without healthchecks; side by side
with a dockerd (its dockerd, containerd and shims, and its containers' cgroups) running --docker-containers.
The floor is what the probe alone costs: N spawns per second on the host of the probe's command, `/bin/sh -c true`
run by the same static busybox the containers run (and, for comparison, the host's dynamically linked /bin/true),
the spawning parent's CPU with the child's.
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

from runtime.images.busybox import find_busybox  # noqa: E402
from tests.support.daemon import TestDaemon, busybox_tar, running  # noqa: E402
from tests.support.dockerd import running_dockerd  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
TICKS = os.sysconf("SC_CLK_TCK")
HEALTH = ["--health-cmd", "true", "--health-interval", "1s"]
PROBE = ["/bin/sh", "-c", "true"]  # what HEALTH's CMD-SHELL runs


OWN, REAPED = slice(11, 13), slice(13, 15)  # /proc/<pid>/stat after the name: utime stime, cutime cstime


def process_cpu(pid: int, fields: slice = slice(11, 15)) -> float:
    """Seconds of CPU of a process and the children it reaped (or the `fields` chosen)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in stat[fields]) / TICKS


def cgroups_cpu(parent: str) -> float:
    group = CPUACCT / parent
    if not group.is_dir():
        return 0.0
    return sum(int((g / "cpuacct.usage").read_text()) for g in group.iterdir() if g.is_dir()) / 1e9


def measure(pids, parent: str, seconds: float, probers: list[int] = ()) -> tuple[float, ...]:
    """(daemon-side CPU, containers' CPU, and with `probers` the part of it that is theirs and the part that is the
    probes' they reaped) in seconds per second of wall time."""

    def sample() -> tuple[float, float, float, float]:
        return (
            sum(process_cpu(p) for p in pids()),
            cgroups_cpu(parent),
            sum(process_cpu(p, OWN) for p in probers),
            sum(process_cpu(p, REAPED) for p in probers),
        )

    start = sample()
    time.sleep(seconds)  # the measurement window itself: nothing to wait for
    rates = tuple((end - begun) / seconds for begun, end in zip(start, sample(), strict=True))
    return rates if probers else rates[:2]


def prober_pids(client, parent: str, ids: list[str]) -> list[int]:
    """The probers: the processes of the containers' cgroups that `docker top` leaves out, but for a probe caught
    running (a child of one of them, gone a moment later)."""
    probers = []
    for container_id in ids:
        top = client.api.top(container_id)
        shown = {int(process[top["Titles"].index("PID")]) for process in top["Processes"]}
        members = (CPUACCT / parent / container_id / "cgroup.procs").read_text().split()
        hidden = {int(pid) for pid in members} - shown
        parents = {pid: _parent(pid) for pid in hidden}
        probers += [pid for pid, parent in parents.items() if parent is not None and parent not in hidden]
    return probers


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except FileNotFoundError:
        return None  # ended since the listing: a probe


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


def probe_floor(executable: Path, args: list[str], count: int, seconds: float) -> float:
    """CPU seconds per second of `count` spawns per second of `args` (run by `executable`), the parent's CPU and
    the child's. The spawns run back to back, in warm caches: the least they cost (paced at the probes' rate, each
    after a sleep, they cost 1.5 times as much on this host at load 5, more than the probes in the containers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    null = os.open("/dev/null", os.O_RDWR)
    for _ in range(int(count * seconds)):
        pid = os.posix_spawn(executable, args, {}, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
        os.waitpid(pid, 0)
    os.close(null)
    after, self_after = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) + (
        self_after.ru_utime + self_after.ru_stime - self_before.ru_utime - self_before.ru_stime
    )
    return used / seconds


def shell_floor(scratch: Path, count: int, seconds: float) -> float:
    """probe_floor of the probe's own command, through a /bin/sh symlink to busybox as in the containers' rootfs."""
    shell = scratch / "sh"
    shell.symlink_to(find_busybox())
    return probe_floor(shell, PROBE, count, seconds)


def report(name: str, count: int, measured: tuple[float, ...], base: tuple[float, ...], floor: float) -> None:
    daemon, containers, *theirs = measured
    extra = (daemon - base[0]) + (containers - base[1])
    split = " (probers {:.1f}%, the probes they reap {:.1f}%)".format(*(r * 100 for r in theirs)) if theirs else ""
    print(
        f"  {name:10} {count:4} containers: daemon side {daemon * 100:5.1f}% of a core, "
        f"containers {containers * 100:5.1f}%{split}"
        f" (idle without healthchecks {(base[0] + base[1]) * 100:.1f}%) -> healthchecks {extra * 100:5.1f}% of a core "
        f"against a floor of {floor * 100:.1f}% ({extra / floor:.1f}x), {extra / count * 1000:.2f} ms of CPU per probe",
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
        floor_seconds = min(args.seconds, 10.0)
        floor = shell_floor(root, args.containers, floor_seconds)
        true_floor = probe_floor(Path("/bin/true"), ["true"], args.containers, floor_seconds)
        print(
            f"floor: {args.containers} spawns per second of busybox's {' '.join(PROBE)} cost {floor * 100:.1f}% of a "
            f"core (the host's dynamically linked /bin/true: {true_floor * 100:.1f}%)"
        )
        with running(TestDaemon(root / "porthole"), image) as porthole:
            pids = lambda: [porthole.process.pid]  # noqa: E731
            run_containers(porthole.docker, args.containers, health=False)
            base = measure(pids, porthole.cgroup_parent, min(args.seconds, 10.0))
            porthole.remove_everything()
            ids = run_containers(porthole.docker, args.containers, health=True)
            wait_for(lambda: healthy(porthole.docker, ids), 120, interval=1, what="every container healthy")
            client = porthole.client()
            probers = prober_pids(client, porthole.cgroup_parent, ids)
            client.close()
            measured = measure(pids, porthole.cgroup_parent, args.seconds, probers)
            report("porthole", args.containers, measured, base, floor)
        if args.docker_containers:
            with running_dockerd(root / "d", image) as dockerd:
                run_containers(dockerd.docker, args.docker_containers, health=False)
                base = measure(dockerd.pids, dockerd.cgroup_parent, min(args.seconds, 10.0))
                ids = [c for c in dockerd.docker("ps", "-q").stdout.decode().split()]
                dockerd.docker("rm", "-f", *ids, check=True)
                ids = run_containers(dockerd.docker, args.docker_containers, health=True)
                wait_for(lambda: healthy(dockerd.docker, ids), 120, interval=1, what="every container healthy")
                measured = measure(dockerd.pids, dockerd.cgroup_parent, args.seconds)
                report(
                    "dockerd", args.docker_containers, measured, base, floor * args.docker_containers / args.containers
                )


if __name__ == "__main__":
    main()
