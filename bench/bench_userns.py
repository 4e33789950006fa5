"""What --userns-remap costs a start (issue 15), side by side with Docker in the same run.

`run --rm --network none busybox true` in a porthole daemon with and without --userns-remap (porthole makes
the user namespace, idmaps the image's layers and mounts them before entering it), and the same in two
dockerd of the bench's own (Debian's docker.io; under remap dockerd keeps a shifted copy of each layer, made
once at pull or import). Starts alternate between the two daemons of a pair, so the machine's other load hits
both alike; fastest and median of --starts. The remap user and its ranges are the bench's, removed after.

    .venv/bin/python bench/bench_userns.py [--starts 20] [--no-docker]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.daemon import TestDaemon, busybox_tar, running  # noqa: E402
from tests.support.dockerd import Dockerd  # noqa: E402
from tests.support.timing import alternated_ms  # noqa: E402
from tests.support.userns import remap_user  # noqa: E402


def start_ms(hosts: tuple[str, str], runs: int) -> list[tuple[float, float]]:
    """Fastest and median ms of a start in each daemon of the pair, alternated."""
    return alternated_ms(
        [["docker", "-H", h, "run", "--rm", "--network", "none", "busybox", "true"] for h in hosts], runs
    )


def _dockerd(root: Path, image: Path, extra: tuple[str, ...]) -> Dockerd:
    daemon = Dockerd(root, cgroup_parent=f"porthole-bench-userns-{root.name}", extra_args=extra)
    daemon.start()
    daemon.docker("import", "-c", 'CMD ["sh"]', str(image), "busybox:latest", check=True)
    return daemon


def _report(name: str, results: list[tuple[float, float]], starts: int) -> None:
    (plain_min, plain_med), (remap_min, remap_med) = results
    print(
        f"  {name:9} fastest {plain_min:6.1f} ms, remapped {remap_min:6.1f} ms ({remap_min - plain_min:+.1f}); "
        f"median {plain_med:6.1f}, remapped {remap_med:6.1f} ({remap_med - plain_med:+.1f}); {starts} starts"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--no-docker", action="store_true", help="porthole only")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-userns-") as scratch, remap_user("phub") as user:
        root = Path(scratch)
        root.chmod(0o711)  # dockerd checks that its remapped root can traverse every directory above its data root
        image = busybox_tar(root / "busybox.tar")
        remap = ("--userns-remap", user)
        with (
            running(TestDaemon(root / "plain"), image) as plain,
            running(TestDaemon(root / "remap", extra_args=remap), image) as remapped,
        ):
            _report("porthole", start_ms((plain.host, remapped.host), args.starts), args.starts)
        if not args.no_docker:
            daemons = []
            try:
                daemons.append(_dockerd(root / "docker", image, ()))
                daemons.append(_dockerd(root / "docker-remap", image, remap))
                _report("docker", start_ms((daemons[0].host, daemons[1].host), args.starts), args.starts)
            finally:
                for daemon in daemons:
                    daemon.stop()
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
