"""Start+exit latency of `run --rm busybox true` (issue 2), side by side.

Measures, in one run on this machine, the median wall time of:
  - the real docker CLI against a porthole daemon,
  - the porthole CLI (docker-py) against the same daemon,
  - `runc run` of the same busybox rootfs (the floor: namespaces, mounts, exec, no daemon, no network),
  - `docker run --rm` against a Docker daemon, when one answers on /var/run/docker.sock (else the anchor
    from /work/shared/reference/measured-anchors.md: 321 ms).
Goal: porthole at most a third of Docker's median.

    .venv/bin/python bench/bench_run.py [--runs 30] [--network none|bridge]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.daemon import TestDaemon, busybox_tar  # noqa: E402

DOCKER_ANCHOR_MS = 321.0
DOCKER_SOCKET = Path("/var/run/docker.sock")


def median_ms(command: list[str], runs: int, **kwargs) -> float:
    warm = subprocess.run(command, capture_output=True, **kwargs)  # warm caches once
    if warm.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed: {warm.stderr.decode(errors='replace')}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, **kwargs)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def runc_bundle(root: Path, rootfs_tar: Path) -> Path:
    bundle = root / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    with tarfile.open(rootfs_tar) as tar:
        tar.extractall(bundle / "rootfs", filter="fully_trusted")
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    spec = json.loads((bundle / "config.json").read_text())
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["true"]
    (bundle / "config.json").write_text(json.dumps(spec))
    return bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--network", default="none", choices=("none", "bridge"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        root = Path(scratch)
        image = busybox_tar(root / "busybox.tar")
        daemon = TestDaemon(root / "porthole")
        daemon.start()
        try:
            daemon.docker("import", str(image), "busybox:latest", check=True)
            run = ["run", "--rm", "--network", args.network, "busybox", "true"]
            results = {
                "docker CLI -> porthole": median_ms(["docker", "-H", daemon.host, *run], args.runs),
                "porthole CLI -> porthole": median_ms(
                    [str(REPO / ".venv/bin/porthole"), "-H", daemon.host, *run], args.runs
                ),
            }
        finally:
            daemon.stop()
        if shutil.which("runc"):
            bundle = runc_bundle(root, image)
            results["runc run (floor)"] = median_ms(
                ["runc", "--root", str(root / "runc-state"), "run", "-b", str(bundle), f"bench-{os.getpid()}"],
                args.runs,
            )
        docker_live = (
            DOCKER_SOCKET.is_socket() and subprocess.run(["docker", "version"], capture_output=True).returncode == 0
        )
        if docker_live:
            results["docker CLI -> Docker"] = median_ms(["docker", *run], args.runs)
    docker_ms = results.get("docker CLI -> Docker", DOCKER_ANCHOR_MS)
    floor_ms = results.get("runc run (floor)")
    print(f"run --rm busybox true, --network {args.network}, median of {args.runs} runs")
    for name, ms in results.items():
        ratio_docker = ms / docker_ms
        ratio_floor = f"{ms / floor_ms:5.1f}x runc" if floor_ms else ""
        print(f"  {name:28s} {ms:7.1f} ms   {ratio_docker:5.2f}x Docker   {ratio_floor}")
    if not docker_live:
        print(f"  (no Docker daemon answers here: Docker's figure is the anchor, {DOCKER_ANCHOR_MS:.0f} ms)")
    print(f"  goal: <= {docker_ms / 3:.0f} ms (a third of Docker's median)")


if __name__ == "__main__":
    main()
