"""A real dockerd (Debian's docker.io) of a benchmark's own: its data root, exec root, socket, pid file and a
bridge of its own name, no iptables rules; stopped (by its pid) and wiped after. Benchmarks run it side by side
with porthole to time the same work; nothing in the timed tests uses it."""

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.waiting import wait_for

DOCKERD = "/usr/sbin/dockerd"
START_TIMEOUT = 60.0


@dataclass
class ReferenceDockerd:
    root: Path
    bridge: str = field(default_factory=lambda: f"phd{secrets.token_hex(3)}")

    @property
    def bridge_ip(self) -> str:
        return f"10.251.{1 + int(self.bridge[3:], 16) % 250}.1/24"

    @property
    def host(self) -> str:
        return f"unix://{self.root / 'docker.sock'}"

    def docker(self, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", "-H", self.host, *args],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "DOCKER_BUILDKIT": "0", **(env or {})},
        )


def available() -> bool:
    return os.path.exists(DOCKERD) and os.geteuid() == 0


@contextlib.contextmanager
def reference_dockerd(root: Path, insecure_registries: tuple[str, ...] = ()) -> Iterator[ReferenceDockerd]:
    """A dockerd with the classic builder, its own roots under `root` and a bridge of its own (made here and
    handed over with --bridge: the default docker0 would be shared with any other dockerd on the machine, and
    deleted under it when one of them stops)."""
    root.mkdir(parents=True, exist_ok=True)
    daemon = ReferenceDockerd(root)
    subprocess.run(["ip", "link", "add", daemon.bridge, "type", "bridge"], check=True, capture_output=True)
    subprocess.run(["ip", "addr", "add", daemon.bridge_ip, "dev", daemon.bridge], check=True, capture_output=True)
    subprocess.run(["ip", "link", "set", daemon.bridge, "up"], check=True, capture_output=True)
    command = [
        DOCKERD,
        "--data-root",
        str(root / "data"),
        "--exec-root",
        str(root / "exec"),
        "--pidfile",
        str(root / "dockerd.pid"),
        "-H",
        daemon.host,
        "--iptables=false",
        "--ip-masq=false",
        "--bridge",
        daemon.bridge,
        "--storage-driver",
        "overlay2",
        *(f"--insecure-registry={r}" for r in insecure_registries),
    ]
    log = open(root / "dockerd.log", "ab")
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        wait_for(lambda: daemon.docker("version", timeout=10).returncode == 0, START_TIMEOUT, what="dockerd")
        yield daemon
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        subprocess.run(["ip", "link", "delete", daemon.bridge], capture_output=True, check=False)
        subprocess.run(["umount", "-R", str(root / "exec")], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
