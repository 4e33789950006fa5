"""A real Docker daemon (Debian's docker.io) of a benchmark's own: its data root, exec root, socket and pid file,
no bridge, no iptables rules, no ip forwarding, so it touches nothing of the machine's. Stopped and wiped after.
Its containers run with --network none."""

import contextlib
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.support.waiting import wait_for

START_TIMEOUT = 60.0


@contextlib.contextmanager
def running_dockerd(root: Path) -> Iterator[str]:
    """Yields the daemon's -H address; None of it is left after (containers, mounts, files)."""
    if shutil.which("dockerd") is None:
        raise RuntimeError("dockerd is not installed (apt-get install docker.io)")
    root.mkdir(parents=True, exist_ok=True)
    host = f"unix://{root}/docker.sock"
    log = open(root / "dockerd.log", "ab")
    process = subprocess.Popen(
        ["dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"), "-H", host,
         "--pidfile", str(root / "dockerd.pid"), "--bridge", "none", "--iptables=false", "--ip-forward=false",
         "--ip-masq=false", "--userland-proxy=false"],
        stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _answers(host, process), START_TIMEOUT, interval=0.2, what=f"dockerd on {host}")
        yield host
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            ids = subprocess.run(["docker", "-H", host, "ps", "-aq"], capture_output=True, timeout=30).stdout.split()
            if ids:
                subprocess.run(["docker", "-H", host, "rm", "-f", *[i.decode() for i in ids]], timeout=60)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        subprocess.run(["umount", "-R", "-l", str(root / "data")], capture_output=True)
        subprocess.run(["umount", "-R", "-l", str(root / "exec")], capture_output=True)
        subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=False)


def _answers(host: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"dockerd exited with {process.returncode}")
    return subprocess.run(["docker", "-H", host, "version"], capture_output=True).returncode == 0
