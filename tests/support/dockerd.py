"""A real Docker daemon (Debian's docker.io) of a benchmark's own, for side-by-side figures: its own data root,
exec root (its containerd lives there), socket, pidfile and cgroup parent, no bridge and no iptables rules (the
containers use --network none), busybox imported; stopped and wiped after."""

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

START_TIMEOUT = 60.0


@dataclass
class DockerDaemon:
    __test__ = False
    root: Path
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def cgroup_parent(self) -> str:
        return f"bench-docker-{self.tag}"

    def docker(self, *args: str, check: bool = False, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run(["docker", "-H", self.host, *args], capture_output=True, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}")
        return result

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        log = open(self.root / "dockerd.log", "ab")
        self.process = subprocess.Popen(
            [
                "dockerd",
                f"--data-root={self.root / 'data'}",
                f"--exec-root={self.root / 'exec'}",
                f"--pidfile={self.root / 'dockerd.pid'}",
                f"-H={self.host}",
                f"--cgroup-parent={self.cgroup_parent}",
                "--bridge=none",
                "--iptables=false",
                "--ip-masq=false",
                "--storage-driver=overlay2",
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        wait_for(self._answers, START_TIMEOUT, interval=0.2, what=f"dockerd on {self.socket}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"dockerd exited with {self.process.returncode}: see {self.root / 'dockerd.log'}")
        return self.docker("version").returncode == 0

    def pids(self) -> list[int]:
        """dockerd, its containerd and the containerd shims of its containers."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(self.root).encode() in cmdline:
                found.append(int(entry.name))
        return found

    def stop(self) -> None:
        """Containers first, then the daemon (it takes containerd and the shims along), then its files."""
        try:
            if self.process is not None and self.process.poll() is None:
                ids = self.docker("ps", "-aq").stdout.decode().split()
                if ids:
                    self.docker("rm", "-f", *ids, timeout=300)
                self.process.send_signal(signal.SIGTERM)
                self.process.wait(timeout=60)
        finally:
            for pid in self.pids():  # a containerd or shim left behind: ours by its command line
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            for hierarchy in Path("/sys/fs/cgroup").iterdir():
                group = hierarchy / self.cgroup_parent
                if group.is_dir():
                    for child in group.iterdir():
                        if child.is_dir():
                            with contextlib.suppress(OSError):
                                child.rmdir()
                    with contextlib.suppress(OSError):
                        group.rmdir()
            subprocess.run(["umount", "-R", "-l", str(self.root / "exec")], capture_output=True)
            subprocess.run(["rm", "-rf", "--one-file-system", str(self.root)], check=False)
            shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def docker_daemon(root: Path, busybox_rootfs: Path) -> Iterator[DockerDaemon]:
    """A started dockerd with busybox:latest imported (CMD sh); everything it made is gone after."""
    daemon = DockerDaemon(root)
    try:
        daemon.start()
        daemon.docker("import", "-c", 'CMD ["sh"]', str(busybox_rootfs), "busybox:latest", check=True)
        yield daemon
    finally:
        daemon.stop()
