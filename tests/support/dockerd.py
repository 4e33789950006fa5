"""Debian's dockerd (docker.io), started by a test or a benchmark beside porthole with its own data root, exec
root, socket, pid file and cgroup parent, and no iptables rules, so it touches nothing else on the machine;
stopped (by its pid) and wiped after. Its containers run with --network none, unless it is asked for a bridge
(a build's RUN steps need one): then it gets one of its own, made here and handed over with --bridge (the default
docker0 would be shared with any other dockerd on the machine, and deleted under it when one of them stops)."""

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docker

from tests.support.waiting import wait_for

START_TIMEOUT = 60.0


def dockerd_installed() -> bool:
    return shutil.which("dockerd") is not None and shutil.which("containerd") is not None


class Dockerd:
    def __init__(
        self,
        root: Path,
        cgroup_parent: str = "porthole-test-dockerd",
        journal_dir: Path | None = None,
        *,
        with_bridge: bool = False,
        insecure_registries: tuple[str, ...] = (),
        extra_args: tuple[str, ...] = (),
    ) -> None:
        """`journal_dir`: a directory holding a journal socket (tests.support.journald) that dockerd sees as
        /run/systemd/journal, in a mount namespace of its own, so that its journald driver writes there."""
        self.root = root
        self.journal_dir = journal_dir
        self.bridge = f"phd{secrets.token_hex(3)}" if with_bridge else None
        self.insecure_registries = insecure_registries
        self.extra_args = extra_args  # more dockerd flags, e.g. --userns-remap
        # containerd's sockets live under the exec root, and a unix socket path must fit in 108 bytes.
        self.exec_root = Path(tempfile.mkdtemp(prefix="phdk-", dir="/tmp"))
        self.cgroup_parent = cgroup_parent
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.exec_root / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        log = open(self.root / "dockerd.log", "ab")
        command = [
            "dockerd",
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.exec_root / "exec"),
            "--pidfile", str(self.root / "dockerd.pid"),
            "-H", self.host,
            "--bridge", self.bridge or "none",
            "--iptables=false",
            "--ip-masq=false",
            "--ip-forward=false",
            "--cgroup-parent", self.cgroup_parent,
            "--config-file", str(self._config()),
            *(f"--insecure-registry={registry}" for registry in self.insecure_registries),
            *self.extra_args,
        ]  # fmt: skip
        if self.journal_dir is not None:
            script = (
                "set -e; mount --make-rprivate /; mount -t tmpfs tmpfs /run/systemd; mkdir /run/systemd/journal; "
                'mount --bind "$1" /run/systemd/journal; shift; exec "$@"'
            )
            command = ["unshare", "--mount", "sh", "-c", script, "sh", str(self.journal_dir), *command]
        if self.bridge:
            address = f"10.251.{1 + int(self.bridge[3:], 16) % 250}.1/24"
            for step in (["add", self.bridge, "type", "bridge"], ["set", self.bridge, "up"]):
                subprocess.run(["ip", "link", *step], check=True, capture_output=True)
            subprocess.run(["ip", "addr", "add", address, "dev", self.bridge], check=True, capture_output=True)
        self.process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        try:
            wait_for(self._answers, START_TIMEOUT, interval=0.2, what=f"dockerd on {self.socket}")
        except BaseException:
            self.stop()
            raise

    def _config(self) -> Path:
        path = self.root / "daemon.json"
        path.write_text("{}\n")  # not /etc/docker/daemon.json, whatever it holds
        return path

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"dockerd exited {self.process.returncode}: {self.log_tail()}")
        if not self.socket.exists():
            return False
        try:
            client = docker.DockerClient(base_url=self.host, timeout=5)
        except docker.errors.DockerException:
            return False  # the socket is there but the API not yet
        try:
            return client.ping()
        except docker.errors.DockerException:
            return False
        finally:
            client.close()

    def pids(self) -> list[int]:
        """dockerd, its containerd and the containerd shims of its containers (whose command lines name its
        roots)."""
        roots = (str(self.root).encode(), str(self.exec_root).encode())
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if any(root in cmdline for root in roots):
                found.append(int(entry.name))
        return found

    def log_tail(self) -> str:
        path = self.root / "dockerd.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def docker(self, *args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess:
        """The docker CLI against this dockerd; builds use the classic builder, as porthole's do."""
        result = subprocess.run(
            ["docker", "-H", self.host, *args],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}")
        return result

    def stop(self) -> None:
        try:
            if self.process is not None:
                ids = self.docker("ps", "-aq").stdout.decode().split()
                if ids:
                    self.docker("rm", "-f", *ids)
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
                self.process = None
        finally:
            for root in (self.exec_root, self.root / "data"):
                subprocess.run(["umount", "-R", str(root)], capture_output=True, check=False)
            subprocess.run(["rm", "-rf", "--one-file-system", str(self.root), str(self.exec_root)], check=False)
            if self.bridge:
                subprocess.run(["ip", "link", "delete", self.bridge], capture_output=True, check=False)
            for hierarchy in Path("/sys/fs/cgroup").iterdir():
                with contextlib.suppress(OSError):
                    (hierarchy / self.cgroup_parent).rmdir()


@contextlib.contextmanager
def running_dockerd(root: Path, busybox_rootfs: Path, journal_dir: Path | None = None) -> Iterator[Dockerd]:
    """A dockerd with busybox:latest imported (CMD sh, as Docker's busybox); stopped and wiped on the way out."""
    daemon = Dockerd(root, journal_dir=journal_dir)
    try:
        daemon.start()
        daemon.docker("import", "-c", 'CMD ["sh"]', str(busybox_rootfs), "busybox:latest", check=True)
        yield daemon
    finally:
        daemon.stop()
