"""Memory paid per container (issue 2): PSS of each idle container's shim, with N idle containers, and the
daemon's own RSS and PSS, side by side with Docker's figures.

Docker's per-container cost on this machine kind is its containerd-shim: 3.0 MB PSS, 13.7 MB RSS each
(measured-anchors.md; live when a Docker daemon answers is not attempted here, since its shims are not ours to
find). The floor is a forked bare Python that only sleeps, measured here too. Goal: at most 1.5 MB per container.
With --first-line each container prints a line before it sleeps, so its shim has also run the log's write path;
with --tty each has a terminal and stdin (`run -dit`), so its shim holds the master and runs the stdin thread.

    .venv/bin/python bench/bench_memory.py [--containers 50] [--first-line] [--tty]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.daemon import TestDaemon, busybox_tar  # noqa: E402

DOCKER_SHIM_PSS_KIB = 3000
GOAL_KIB = 1500


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss", "Private_Dirty"):
                values[key] = int(rest.split()[0])
    return values


_FLOOR = """
import os, time
children = []
for _ in range({n}):
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children.append(pid)
time.sleep(0.5)
pss = []
for pid in children:
    with open(f"/proc/{{pid}}/smaps_rollup") as f:
        pss += [int(line.split()[1]) for line in f if line.startswith("Pss:")]
    os.kill(pid, 9)
print(sorted(pss)[len(pss) // 2])
"""


def forked_python_floor(n: int) -> int:
    """Median PSS of n sleeping children forked from a bare `python -I -S`: what one more Python process costs
    at least, whatever it does."""
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _FLOOR.format(n=n)], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--first-line", action="store_true", help="each container logs a line, then sleeps")
    parser.add_argument("--tty", action="store_true", help="each container has a terminal and stdin (-dit)")
    args = parser.parse_args()
    command = ["sh", "-c", "echo ready; exec sleep 3600"] if args.first_line else ["sleep", "3600"]
    run_flags = ["-dit"] if args.tty else ["-d"]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch:
        root = Path(scratch)
        daemon = TestDaemon(root / "porthole")
        daemon.start()
        try:
            daemon.docker("import", str(busybox_tar(root / "busybox.tar")), "busybox:latest", check=True)
            for _ in range(args.containers):
                daemon.docker("run", *run_flags, "busybox", *command, check=True)
            time.sleep(1)
            shims = []
            for state_file in (daemon.data_root / "containers").glob("*/state.json"):
                state = json.loads(state_file.read_text())
                shims.append(memory_kib(state["shim_pid"]))
            zygote = [
                int(p)
                for p in Path(f"/proc/{daemon.process.pid}/task/{daemon.process.pid}/children").read_text().split()
            ]
            daemon_mem = memory_kib(daemon.process.pid)
            zygote_mem = memory_kib(zygote[0]) if zygote else {"Pss": 0, "Rss": 0}
        finally:
            daemon.stop()
    pss = statistics.median(s["Pss"] for s in shims)
    rss = statistics.median(s["Rss"] for s in shims)
    per_container = pss + zygote_mem["Pss"] / len(shims)
    floor = forked_python_floor(len(shims))
    print(f"{len(shims)} idle containers ({' '.join(run_flags)} busybox {' '.join(command)})")
    print(
        f"  shim PSS median      {pss:7.0f} KiB   RSS {rss:.0f} KiB   private dirty "
        f"{statistics.median(s['Private_Dirty'] for s in shims):.0f} KiB"
    )
    share = zygote_mem["Pss"] / len(shims)
    print(f"  zygote PSS (shared)  {zygote_mem['Pss']:7.0f} KiB, {share:.0f} KiB per container")
    print(
        f"  per container        {per_container:7.0f} KiB   {per_container / DOCKER_SHIM_PSS_KIB:.2f}x Docker's "
        f"shim ({DOCKER_SHIM_PSS_KIB} KiB PSS, anchor)   {per_container / floor:.1f}x the floor"
    )
    print(f"  floor: a sleeping child of a bare Python, PSS {floor} KiB")
    print(
        f"  daemon               RSS {daemon_mem['Rss'] / 1024:.1f} MiB, PSS {daemon_mem['Pss'] / 1024:.1f} MiB "
        f"(Docker: dockerd 138 MB + containerd 50 MB RSS, anchor)"
    )
    print(f"  goal: <= {GOAL_KIB} KiB per container: {'met' if per_container <= GOAL_KIB else 'NOT met'}")


if __name__ == "__main__":
    main()
