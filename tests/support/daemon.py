"""A porthole daemon of a test's own: its data root, exec root, socket, bridge, subnet, cgroup parent and
iptables chains, so it never touches a real installation and can run beside one. Stopped and wiped after."""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from runtime.cgroups import open_manager, remove_parent_if_empty
from runtime.linux.constants import MNT_DETACH
from runtime.linux.syscalls import mount, umount2
from runtime.network import NetworkConfig, NetworkService
from runtime.network.links import delete_link
from runtime.network.netns import run_in_netns
from tests.support.fulldisk import fill
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")
CGROUP_ROOT = Path("/sys/fs/cgroup")
NETNS_DIR = Path("/run/netns")


@dataclass
class TestDaemon:
    __test__ = False  # a helper, not a test class, whatever module imports it
    root: Path
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    process: subprocess.Popen | None = None
    extra_args: tuple[str, ...] = ()  # more `porthole daemon` flags, e.g. --metrics-addr
    ip_forward: str | None = None  # as found before the first start, put back at stop
    env: dict[str, str] = field(default_factory=dict)  # added to the daemon's environment (e.g. PYTHONPATH)
    # a tmpfs of this size ("64m") mounted on the data root before the first start, unmounted by stop(): a disk
    # the test can fill (fill_data_root) and free again, as /var/lib/docker fills on a real host
    data_root_size: str | None = None
    netns: str | None = None  # a namespace in /run/netns to run the daemon in (a "host" of tests/support/cluster)
    hostname: str | None = None  # a UTS namespace of its own with this hostname (each "host" has its name)

    @property
    def data_root(self) -> Path:
        return self.root / "data"

    @property
    def exec_root(self) -> Path:
        return self.root / "exec"

    @property
    def socket(self) -> Path:
        return self.root / "porthole.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def bridge(self) -> str:
        return f"pht{self.tag}"

    @property
    def chain_prefix(self) -> str:
        return f"PHT{self.tag.upper()}"

    @property
    def cgroup_parent(self) -> str:
        return f"porthole-test-{self.tag}"

    @property
    def octet(self) -> int:
        return 100 + int(self.tag, 16) % 100

    @property
    def bip(self) -> str:
        return f"10.{self.octet}.0.1/24"

    @property
    def address_pool(self) -> str:
        return f"10.{self.octet}.128.0/17"

    def command(self) -> list[str]:
        """`porthole daemon` with this daemon's own roots, socket, bridge, subnets, chains and cgroup parent;
        in its network namespace if it has one (nsenter enters that alone: `ip netns exec` would remount /sys)."""
        enter = ["nsenter", f"--net={NETNS_DIR / self.netns}"] if self.netns else []
        if self.hostname:  # each exec keeps the pid: the process started is the daemon
            enter += ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', self.hostname]
        return [
            *enter,
            sys.executable,
            "-m",
            "porthole.cli.main",
            "daemon",
            "--data-root",
            str(self.data_root),
            "--exec-root",
            str(self.exec_root),
            "-H",
            self.host,
            "--bridge",
            self.bridge,
            "--bip",
            self.bip,
            "--default-address-pool",
            self.address_pool,
            "--iptables-chain-prefix",
            self.chain_prefix,
            "--cgroup-parent",
            self.cgroup_parent,
            # no container's look-up leaves the machine: without it, names the embedded DNS does not know go to
            # the host's resolvers, as Docker's
            "--dns-upstream",
            "none",
            *self.extra_args,
        ]

    def start(self) -> None:
        if self.ip_forward is None:
            self.ip_forward = IP_FORWARD.read_text()
        self.root.mkdir(parents=True, exist_ok=True)
        if self.data_root_size is not None and not os.path.ismount(self.data_root):
            self.data_root.mkdir(exist_ok=True)
            mount("tmpfs", str(self.data_root), "tmpfs", 0, f"size={self.data_root_size},mode=0711")
        self.process = self._launch()
        wait_for(self._answers, START_TIMEOUT, what=f"the daemon on {self.socket}")

    def _launch(self) -> subprocess.Popen:
        return self._spawn(self.command())

    def _spawn(self, command: list[str], **popen: Any) -> subprocess.Popen:
        """`command` started with the daemon's log (unless `popen` says otherwise), directory and environment."""
        log = open(self.root / "daemon.log", "ab")
        popen = {"stdout": log, "stderr": log, **popen}
        return subprocess.Popen(command, cwd=REPO, start_new_session=True, env={**os.environ, **self.env}, **popen)

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"daemon exited with {self.process.returncode}: {self.log_tail()}")
        try:
            return self.client().ping()
        except docker.errors.DockerException:
            return False

    def log_tail(self) -> str:
        path = self.root / "daemon.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=60)

    def docker(
        self, *args: str, input: bytes | None = None, timeout: float = 60, check: bool = False
    ) -> subprocess.CompletedProcess:
        """The real docker CLI against this daemon."""
        result = subprocess.run(["docker", "-H", self.host, *args], input=input, capture_output=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}")
        return result

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Stop the daemon only (its containers and shims live on), as `kill -9` would."""
        assert self.process is not None
        self.process.send_signal(signum)
        self.process.wait(timeout=30)
        self.process = None

    def remove_everything(self) -> None:
        """Every container (forced), volume and user network of this daemon."""
        self.remove_containers()
        self.remove_networks()

    def remove_containers(self) -> None:
        """Every container (forced) and volume."""
        client = self.client()
        for container in client.containers.list(all=True, sparse=True):
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        for volume in client.volumes.list():
            volume.remove(force=True)
        client.close()

    def remove_networks(self) -> None:
        """Every user network (a global one another host removed first is fine)."""
        client = self.client()
        for network in client.networks.list():
            if network.name not in ("bridge", "host", "none"):
                try:
                    network.remove()
                except docker.errors.NotFound:
                    pass
        client.close()

    def stop(self) -> None:
        """Everything this daemon made goes, even when a step fails: containers first (their shims and
        cgroups), then the daemon, the network room's bridges, rules and namespaces, the cgroup parent, the
        files, and ip_forward as it was before the daemon turned it on."""
        try:
            if self.process is not None:
                try:
                    self.remove_everything()
                finally:
                    self.kill(signal.SIGTERM)
        finally:
            try:
                self.teardown_network()
            finally:
                self.destroy_leftover_cgroups()
                if self.data_root_size is not None and os.path.ismount(self.data_root):
                    umount2(str(self.data_root), MNT_DETACH)
                subprocess.run(["rm", "-rf", "--one-file-system", str(self.root)], check=False)
                if self.ip_forward is not None:
                    IP_FORWARD.write_text(self.ip_forward)

    @contextlib.contextmanager
    def data_root_full(self) -> Iterator[Path]:
        """The data root's tmpfs filled to the last byte while the block runs, freed after it, even on failure."""
        assert self.data_root_size is not None, "a full disk needs TestDaemon(data_root_size=...)"
        filler = fill(self.data_root)
        try:
            yield filler
        finally:
            filler.unlink()

    def teardown_network(self) -> None:
        """The network room's leftovers, looked for where the daemon made them: in its namespace if it had one
        (a thread that entered it runs the teardown, and the iptables it starts inherit that namespace)."""
        service = NetworkService(
            self.data_root,
            self.exec_root,
            NetworkConfig(
                bridge_name=self.bridge, bip=self.bip, chain_prefix=self.chain_prefix, address_pool=self.address_pool
            ),
        )
        if self.netns is None:
            self._teardown_network(service)
        elif (NETNS_DIR / self.netns).exists():
            run_in_netns(NETNS_DIR / self.netns, lambda: self._teardown_network(service))

    def _teardown_network(self, service: NetworkService) -> None:
        try:
            service.teardown()
        finally:
            # The default bridge by its name, which is this daemon's alone: a daemon killed between making it and
            # recording it finds it at its next start as a bridge it did not make, and keeps it as Docker keeps a
            # docker0 it found (the crash test left one behind in a full run).
            delete_link(self.bridge)

    def destroy_leftover_cgroups(self) -> None:
        """Containers a dead daemon could not remove: kill what is left in each group, then drop the parent."""
        for hierarchy in CGROUP_ROOT.iterdir():
            parent = hierarchy / self.cgroup_parent
            for group in parent.iterdir() if parent.is_dir() else ():
                if group.is_dir():
                    open_manager(f"{self.cgroup_parent}/{group.name}").destroy()
        remove_parent_if_empty(self.cgroup_parent)


@contextlib.contextmanager
def running(daemon: TestDaemon, busybox_rootfs: Path) -> Iterator[TestDaemon]:
    """`daemon` started with busybox:latest imported (CMD sh); stopped, with everything it made, on the way out."""
    try:
        daemon.start()
        # CMD sh, as Docker's busybox (README: `porthole busybox-rootfs | porthole import -c 'CMD ["sh"]' ...`)
        daemon.docker("import", "-c", 'CMD ["sh"]', str(busybox_rootfs), "busybox:latest", check=True)
        yield daemon
    finally:
        daemon.stop()


def busybox_tar(path: Path) -> Path:
    from runtime.images.busybox import write_busybox_rootfs

    if not path.exists():
        with open(path, "wb") as out:
            write_busybox_rootfs(out)
    return path
