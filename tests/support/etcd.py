"""Debian's etcd for the multi-host tests (tests/support/cluster.py): one member in a network namespace of its
own on the underlay, its data on a tmpfs, optionally TLS with client certificates; etcdctl beside it."""

import json
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.certificates import TlsFiles
from tests.support.daemon import NETNS_DIR
from tests.support.netns import in_netns
from tests.support.waiting import wait_for

ETCD_PORT = 2379


@dataclass
class Etcd:
    """Debian's etcd, one member, in its own namespace on the underlay; its data in `root`."""

    root: Path
    netns: str
    address: str
    tls: TlsFiles | None = None  # client port over TLS, client certificates required
    process: subprocess.Popen | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{ETCD_PORT}"

    @property
    def url(self) -> str:
        return f"etcd://{self.endpoint}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def start(self) -> None:
        """Its data on a tmpfs of its own (kept across a stop and start, gone with unmount()): etcd fsyncs
        every write, and on the machine's one disk those fsyncs would compete with the daemons' own, which
        a real cluster's etcd, on machines of its own, does not."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.data_dir.is_mount():
            self.data_dir.mkdir(exist_ok=True)
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=256m,mode=0700", "tmpfs", str(self.data_dir)], check=True
            )
        client = f"{self.scheme}://{self.endpoint}"
        tls = []
        if self.tls is not None:
            tls = [f"--cert-file={self.tls.server_cert}", f"--key-file={self.tls.server_key}",
                   "--client-cert-auth", f"--trusted-ca-file={self.tls.ca}"]  # fmt: skip
        log = open(self.root / "etcd.log", "ab")
        self.process = subprocess.Popen(
            [
                "nsenter",
                f"--net={NETNS_DIR / self.netns}",
                "etcd",
                "--name=porthole-test",
                f"--data-dir={self.data_dir}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                "--listen-peer-urls=http://127.0.0.1:2380",
                "--initial-advertise-peer-urls=http://127.0.0.1:2380",
                "--initial-cluster=porthole-test=http://127.0.0.1:2380",
                "--listen-metrics-urls=",
                *tls,
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        wait_for(self.healthy, 30, interval=0.2, what=f"etcd on {self.endpoint}")

    def healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"etcd exited {self.process.returncode}: {self.log_tail()}")
        return self.etcdctl("endpoint", "health", check=False).returncode == 0

    def unmount(self) -> None:
        if self.data_dir.is_mount():
            subprocess.run(["umount", str(self.data_dir)], check=True)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def etcdctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        tls = []
        if self.tls is not None:
            tls = [f"--cacert={self.tls.ca}", f"--cert={self.tls.client_cert}", f"--key={self.tls.client_key}"]
        done = in_netns(
            self.netns,
            *("env", "ETCDCTL_API=3", "etcdctl", f"--endpoints={self.scheme}://{self.endpoint}", *tls, *args),
            timeout=30,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"etcdctl {' '.join(args)}: {done.stderr.decode()}")
        return done

    def keys(self, prefix: str) -> list[str]:
        out = self.etcdctl("get", "--prefix", "--keys-only", prefix).stdout.decode()
        return [line for line in out.splitlines() if line]

    def get_json(self, key: str) -> dict | None:
        out = self.etcdctl("get", "--print-value-only", key).stdout.decode().strip()
        return json.loads(out) if out else None

    def log_tail(self) -> str:
        path = self.root / "etcd.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""
