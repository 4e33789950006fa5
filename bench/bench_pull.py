"""`docker pull` alone: porthole beside a real dockerd, runs interleaved, against one Debian docker-registry on
loopback, of bench_build's image (12-step Dockerfile, 64 MB context: 5 layers, 89 MB), which porthole builds and
pushes once. Each pull starts with the image and its layers gone from the puller. Also prints the physical
floor (bench/pull_floor.py: the same blobs read, gunzipped, hashed and written as files), measured in every round.

    .venv/bin/python -m bench.bench_pull [--runs 3] [--settle] [--profile out.svg]

--settle removes both daemons' images, then waits out the kernel's window for recently freed inodes before the
round's pulls (porthole's and dockerd's, each round's order the other way round). Why: on an ext4 without a
journal (this machine's root), allocating an inode skips every inode of its block group freed less than 60 s ago
(fs/ext4/ialloc.c, recently_deleted(); 360 s while the inode table's block is dirty), and it pays a buffer lookup
for each. Right after the `rmi` of 2,000 files, creating 2,000 new ones there cost 450-850 us a file instead of
30 (measured here; perf puts 56% of that time in recently_deleted() and the buffer lookups it makes): the same for both daemons and the floor, and most of their time, so it pulls every ratio
towards 1. Without --settle each pull follows its own `rmi` at once, as a user's would.

--profile records one extra porthole pull with py-spy (pip install py-spy) as collapsed stacks (raw), idle threads too.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_build import make_context, timed
from bench.pull_floor import floor_seconds
from tests.support.daemon import TestDaemon, busybox_tar, running
from tests.support.dockerd import Dockerd, dockerd_installed
from tests.support.registry import running_registry


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # utime + stime + the same of waited-for children (dockerd's untar runs in a child process)
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


# fs/ext4/ialloc.c's RECENTCY_MIN (the window for an inode table block already written out), and a margin
SETTLE_S = 62


def _remove(docker: list[str], image: str) -> None:
    subprocess.run([*docker, "rmi", "-f", image], capture_output=True)
    subprocess.run([*docker, "image", "prune", "-af"], capture_output=True)


def _pull(docker: list[str], image: str, pids: list[int]) -> tuple[float, float]:
    """Wall seconds of one `docker pull` and the CPU seconds the daemon processes spent in it."""
    os.sync()
    before = sum(_cpu_seconds(p) for p in pids)
    wall = timed(docker, "pull", image)
    return wall, sum(_cpu_seconds(p) for p in pids) - before


def _profile(ph: TestDaemon, image: str, out: Path) -> None:
    docker = ["docker", "-H", ph.host]
    _remove(docker, image)
    assert ph.process is not None
    py_spy = str(Path(sys.executable).parent / "py-spy")
    command = [py_spy, "record", "-r", "200", "--idle", "-t", "-f", "raw", "-o", str(out), "-p", str(ph.process.pid)]
    spy = subprocess.Popen(command)
    time.sleep(1)  # py-spy attaches
    timed(docker, "pull", image)
    spy.send_signal(2)
    spy.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", action="store_true", help="wait out ext4's recently-freed-inode window")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pull-", dir="/var/tmp"))
    try:
        context = make_context(work / "context")
        rootfs = busybox_tar(work / "busybox.tar")
        with running_registry(work / "registry") as registry, running(TestDaemon(work / "porthole"), rootfs) as ph:
            image = f"{registry.address}/bench/pull:1"
            ours = ["docker", "-H", ph.host]
            timed(ours, "build", "-t", image, str(context))
            timed(ours, "push", image)
            if args.profile:
                _profile(ph, image, args.profile)
            docker = None
            if dockerd_installed():
                docker = Dockerd(work / "dockerd", insecure_registries=(registry.address,))
                docker.start()
            try:
                results: dict[str, list[tuple[float, float]]] = {"porthole": [], "docker": [], "floor": []}
                assert ph.process is not None
                pullers = [("porthole", ours, [ph.process.pid])]
                if docker is not None:
                    pullers.append(("docker", ["docker", "-H", docker.host], docker.pids()))
                for round_number in range(args.runs):
                    if args.settle:
                        for _, client, _ in pullers:
                            _remove(client, image)
                        os.sync()
                        time.sleep(SETTLE_S)
                        order = pullers if round_number % 2 == 0 else pullers[::-1]
                    else:
                        order = pullers
                    for who, client, pids in order:
                        if not args.settle:
                            _remove(client, image)
                        results[who].append(_pull(client, image, pids))
                    results["floor"].append(floor_seconds(registry.root, work / "floor"))
            finally:
                if docker is not None:
                    docker.stop()
        print(f"load: {os.getloadavg()}")
        print("floor: the blobs read + gunzipped + sha256'd + their files written (bench/pull_floor.py)")
        for who, runs in results.items():
            walls = [w for w, _ in runs]
            if walls:
                figures = ", ".join(f"{w:.2f} s (cpu {c:.2f})" for w, c in runs)
                print(f"{who:9} median {statistics.median(walls):.2f} s: {figures}")
        if results["docker"]:
            ratio = statistics.median(w for w, _ in results["porthole"]) / statistics.median(
                w for w, _ in results["docker"]
            )
            print(f"ratio {ratio:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
