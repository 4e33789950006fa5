"""`docker pull` alone: porthole beside a real dockerd, runs interleaved, against one Debian docker-registry on
loopback, of bench_build's image (12-step Dockerfile, 64 MB context: 5 layers, 89 MB), which porthole builds and
pushes once. Each pull starts with the image and its layers gone from the puller. Also prints the physical
floor (bench/pull_floor.py: the same blobs read, gunzipped, hashed and written as files), measured in every round.

    .venv/bin/python -m bench.bench_pull [--runs 3] [--settle | --journaled] [--profile out.svg]

--settle removes both daemons' images, then waits out the kernel's window for recently freed inodes before the
round's pulls (porthole's and dockerd's, each round's order the other way round). Why: on an ext4 without a
journal (this machine's root), allocating an inode skips every inode of its block group freed less than 60 s ago
(fs/ext4/ialloc.c, recently_deleted(); 360 s while the inode table's block is dirty), and it pays a buffer lookup
for each. Right after the `rmi` of 2,000 files, creating 2,000 new ones there cost 450-850 us a file instead of
30 (measured here; perf puts 56% of that time in recently_deleted() and its buffer lookups). It slows whoever
creates files in a group that freed many in the last minute, by turns the floor and dockerd (2-4x their time
in the runs where it hit them; the floor's CPU for the same work ranged 0.44-3.55 s), and porthole's pulls
until its layers were extracted under a top directory (runtime/linux/topdir.py). Without --settle each pull
follows its own `rmi` at once, as a user's would, in the same order every round.

--journaled runs it all (registry, both daemons, the floor) on a fresh ext4 made by mkfs.ext4's defaults, which
give it a journal as on a host Debian installed, in a sparse file mounted through a loop device: the kernel skips
no recently freed inode there, and each pull follows its own `rmi` at once.

--profile records one extra porthole pull with py-spy (pip install py-spy) as collapsed stacks (raw), idle threads too.
"""

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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


JOURNALED_BYTES = 8 << 30  # sparse: the image, its copies and the registry take ~1 GB
# fs/ext4/ialloc.c's RECENTCY_MIN (the window for an inode table block already written out), and a margin
SETTLE_S = 62


@contextlib.contextmanager
def _journaled_ext4(mountpoint: Path) -> Iterator[None]:
    """A fresh ext4 with mkfs.ext4's defaults (a journal among them) in a sparse file, mounted at `mountpoint`."""
    image = mountpoint.with_name(mountpoint.name + ".ext4")
    with open(image, "wb") as sparse:
        sparse.truncate(JOURNALED_BYTES)
    try:
        subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
        subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], check=True)
        try:
            yield
        finally:
            subprocess.run(["umount", str(mountpoint)], check=True)
    finally:
        image.unlink()


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
    timing = parser.add_mutually_exclusive_group()
    timing.add_argument("--settle", action="store_true", help="wait out ext4's recently-freed-inode window")
    timing.add_argument("--journaled", action="store_true", help="all on a fresh ext4 with a journal")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pull-", dir="/var/tmp"))
    try:
        with _journaled_ext4(work) if args.journaled else contextlib.nullcontext():
            _bench(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bench(work: Path, args: argparse.Namespace) -> None:
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


if __name__ == "__main__":
    main()
