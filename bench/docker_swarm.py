"""Debian's dockerd on two "hosts" of a bench's cluster (tests/support/cluster.py), joined in a swarm, for the
overlay bench to do the same work on Docker's overlay in the same run. Docker 20.10 has no --cluster-store any
more, so its overlay across hosts needs swarm mode (an attachable overlay network).

Each dockerd runs in a network namespace of its own on the bench's underlay, with its own data root, exec root,
socket, pid file and cgroup parent; stop() removes its containers, leaves the swarm, stops it and removes its
files and cgroups (the namespaces go with the cluster).
"""

import json
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.cluster import Cluster, ip
from tests.support.daemon import CGROUP_ROOT, NETNS_DIR


@dataclass
class DockerHost:
    root: Path
    netns: str
    address: str
    process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def cgroup_parent(self) -> str:
        return f"porthole-bench-{self.netns}"

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(["docker", "-H", f"unix://{self.socket}", *args], capture_output=True, timeout=300)
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} on {self.netns}: {done.stderr.decode().strip()}")
        return done

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        log = open(self.root / "dockerd.log", "ab")
        self.process = subprocess.Popen(
            [
                "nsenter",
                f"--net={NETNS_DIR / self.netns}",
                "dockerd",
                f"--data-root={self.root / 'data'}",
                f"--exec-root={self.root / 'exec'}",
                f"--pidfile={self.root / 'dockerd.pid'}",
                f"-H=unix://{self.socket}",
                f"--cgroup-parent={self.cgroup_parent}",
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while self.docker("info", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"dockerd in {self.netns} did not start: {(self.root / 'dockerd.log').read_text()[-2000:]}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        ids = self.docker("ps", "-aq", check=False).stdout.decode().split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)
        self.docker("swarm", "leave", "--force", check=False)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None
        for hierarchy in CGROUP_ROOT.iterdir():
            parent = hierarchy / self.cgroup_parent
            for group in sorted(parent.glob("**/"), key=lambda p: -len(p.parts)) if parent.is_dir() else ():
                group.rmdir()
        subprocess.run(["umount", "-R", "-l", str(self.root / "data")], capture_output=True)
        subprocess.run(["umount", "-R", "-l", str(self.root / "exec")], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def sandbox(self, container: str, network: str) -> tuple[Path, str]:
        settings = json.loads(self.docker("inspect", container).stdout)[0]["NetworkSettings"]
        return Path(settings["SandboxKey"]), settings["Networks"][network]["IPAddress"]


def docker_swarm(cluster: Cluster, busybox_tar: Path, network: str, subnet: str) -> tuple[DockerHost, DockerHost]:
    """Two dockerds on the underlay (addresses .210 and .211), in one swarm, with an attachable overlay."""
    hosts = []
    for number, name in ((210, "dka"), (211, "dkb")):
        netns = f"ph{name}{cluster.tag}"
        ip("netns", "add", netns)
        cluster._namespaces.append(netns)  # removed with the cluster, whatever happens here
        address = cluster.underlay.plug(netns, number)
        hosts.append(DockerHost(cluster.root / name, netns, address))
    manager, worker = hosts
    for host in hosts:
        host.start()
        host.docker("import", str(busybox_tar), "busybox:latest")
    manager.docker("swarm", "init", "--advertise-addr", manager.address, "--listen-addr", f"{manager.address}:2377")
    token = manager.docker("swarm", "join-token", "-q", "worker").stdout.decode().strip()
    worker.docker("swarm", "join", "--token", token, "--advertise-addr", worker.address, f"{manager.address}:2377")
    manager.docker("network", "create", "-d", "overlay", "--attachable", "--subnet", subnet, network)
    return manager, worker
