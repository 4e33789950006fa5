"""Several porthole "hosts" on this machine, for the multi-host tests and benchmarks.

Each host is a network namespace of the test's own with one porthole daemon in it (its own data root, exec
root, socket, cgroup parent, bridge name and chain prefix: TestDaemon does that), joined to the others by an
underlay: a bridge inside a namespace of its own, so that nothing of the underlay is in the machine's
namespace. Debian's etcd runs in a third kind of namespace on the same underlay. Addresses are taken from
198.18.0.0/15 (RFC 2544's benchmarking range): they mean nothing outside these namespaces.

Daemons are started with `nsenter --net=/run/netns/NAME`, which enters the network namespace only;
`ip netns exec` would also mount a fresh /sys there and hide the cgroup hierarchy from the daemon.
Everything is removed on the way out, even when a step fails: daemons (with their containers), etcd, the
namespaces (which take their links, bridges and iptables rules with them).
"""

import contextlib
import json
import secrets
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.certificates import TlsFiles, make_tls_files
from tests.support.daemon import NETNS_DIR, TestDaemon
from tests.support.waiting import wait_for

ETCD_PORT = 2379
LEASE_TTL = 5  # seconds: a host that disappears is gone from the others this long after
UNDERLAY_IFNAME = "eth0"


def ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def in_netns(netns: str, *argv: str, timeout: float = 30, input: bytes | None = None) -> subprocess.CompletedProcess:
    """A command in one of the test's namespaces (network only, as the daemons are)."""
    return subprocess.run(
        ["nsenter", f"--net={NETNS_DIR / netns}", *argv], capture_output=True, timeout=timeout, input=input
    )


@dataclass
class Underlay:
    """A switch (a bridge in its own namespace) and the hosts' ports on it, 198.18.N.0/24."""

    tag: str
    ports: list[str] = field(default_factory=list)  # the namespaces plugged in

    @property
    def netns(self) -> str:
        return f"phul{self.tag}"

    @property
    def octet(self) -> int:
        return int(self.tag, 16) % 250

    def address(self, number: int) -> str:
        return f"198.18.{self.octet}.{number}"

    def create(self) -> None:
        ip("netns", "add", self.netns)
        ip("-n", self.netns, "link", "add", "switch", "type", "bridge")
        ip("-n", self.netns, "link", "set", "switch", "up")

    def plug(self, netns: str, number: int) -> str:
        """A port for the namespace: eth0 there with 198.18.N.number/24, up, and its lo up. -> the address."""
        port = f"p{len(self.ports)}"
        ip("-n", self.netns, "link", "add", port, "type", "veth", "peer", "name", UNDERLAY_IFNAME, "netns", netns)
        self.ports.append(netns)
        ip("-n", self.netns, "link", "set", port, "master", "switch", "up")
        address = self.address(number)
        ip("-n", netns, "addr", "add", f"{address}/24", "dev", UNDERLAY_IFNAME)
        ip("-n", netns, "link", "set", UNDERLAY_IFNAME, "up")
        ip("-n", netns, "link", "set", "lo", "up")
        return address

    def unplug(self, netns: str) -> None:
        """Take a host off the underlay (its namespace's eth0 goes down): as if its machine went away."""
        ip("-n", netns, "link", "set", UNDERLAY_IFNAME, "down")


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


@dataclass
class Host:
    """One "host": its namespace, its underlay address and its daemon."""

    name: str
    netns: str
    address: str
    daemon: TestDaemon

    @property
    def url(self) -> str:
        """Its daemon's API, for the docker CLI's -H."""
        return self.daemon.host

    def run(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """A command in the host's namespace, outside any container."""
        return in_netns(self.netns, *argv, timeout=timeout)

    def docker(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.daemon.docker(*args, **kwargs)


@dataclass
class Cluster:
    root: Path
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    hosts: dict[str, Host] = field(default_factory=dict)
    etcd: Etcd | None = None
    underlay: Underlay | None = None
    daemon_args: Sequence[str] = ()  # more `porthole daemon` flags for every host
    daemon_env: dict[str, str] = field(default_factory=dict)  # and more of its environment
    with_store: bool = True  # the daemons join etcd as their cluster store
    tls: bool = False  # etcd's client port over TLS with client certificates (the daemons get theirs)
    _namespaces: list[str] = field(default_factory=list)

    def _netns(self, name: str) -> str:
        netns = f"ph{name}{self.tag}"
        ip("netns", "add", netns)
        self._namespaces.append(netns)
        return netns

    def start(self, names: Sequence[str], busybox_rootfs: Path | None = None) -> None:
        self.underlay = Underlay(self.tag)
        self.underlay.create()
        self._namespaces.append(self.underlay.netns)
        etcd_netns = self._netns("etcd")
        address = self.underlay.plug(etcd_netns, 250)
        tls = make_tls_files(self.root / "tls", address) if self.tls else None
        self.etcd = Etcd(self.root / "etcd", etcd_netns, address, tls)
        self.etcd.start()
        for number, name in enumerate(names, start=1):
            self.add_host(name, number, busybox_rootfs)

    def cluster_args(self) -> tuple[str, ...]:
        assert self.etcd is not None
        if not self.with_store:
            return ()
        return (
            "--cluster-store",
            self.etcd.url,
            "--cluster-advertise",
            f"{UNDERLAY_IFNAME}:7946",
            "--cluster-store-opt",
            f"discovery.ttl={LEASE_TTL}",
            *self.tls_args(),
        )

    def tls_args(self) -> tuple[str, ...]:
        """--cluster-store-opt flags for etcd's TLS (`porthole sd` takes the same)."""
        files = self.etcd.tls if self.etcd is not None else None
        if files is None:
            return ()
        return tuple(
            flag
            for option in (
                f"kv.cacertfile={files.ca}",
                f"kv.certfile={files.client_cert}",
                f"kv.keyfile={files.client_key}",
            )
            for flag in ("--cluster-store-opt", option)
        )

    def add_host(
        self, name: str, number: int, busybox_rootfs: Path | None = None, extra_args: Sequence[str] = ()
    ) -> Host:
        assert self.underlay is not None
        netns = self._netns(name)
        address = self.underlay.plug(netns, number)
        daemon = TestDaemon(
            self.root / name,
            tag=f"{self.tag[:4]}{number:02x}",
            netns=netns,
            hostname=f"host-{name}",
            env=dict(self.daemon_env),
            extra_args=(*self.cluster_args(), *self.daemon_args, *extra_args),
        )
        host = Host(name, netns, address, daemon)
        self.hosts[name] = host
        daemon.start()
        if busybox_rootfs is not None:
            daemon.docker("import", str(busybox_rootfs), "busybox:latest", check=True)
        return host

    def remove_everything(self) -> None:
        """Every host's containers first (a global network is in use while any host has one on it), then the
        networks."""
        for host in self.hosts.values():
            host.daemon.remove_containers()
        for host in self.hosts.values():
            host.daemon.remove_networks()

    def remove_host(self, name: str) -> None:
        """Stop a host's daemon with everything it made, then delete its namespace."""
        host = self.hosts.pop(name)
        try:
            if host.daemon.process is not None:  # its containers go; the global networks stay for the others
                host.daemon.remove_containers()
                host.daemon.kill(signal.SIGTERM)
            host.daemon.stop()
        finally:
            ip("netns", "del", host.netns)
            self._namespaces.remove(host.netns)

    def stop(self) -> None:
        """Every daemon (and its containers), etcd, then every namespace, each step tried whatever failed."""
        steps: list[Callable[[], None]] = [self.remove_everything, *(h.daemon.stop for h in self.hosts.values())]
        if self.etcd is not None:
            steps += [self.etcd.stop, self.etcd.unmount]
        steps += [lambda ns=ns: ip("netns", "del", ns) for ns in reversed(self._namespaces)]
        first: BaseException | None = None
        for step in steps:
            try:
                step()
            except BaseException as exc:  # noqa: BLE001 - the rest must still be removed; the first is raised
                first = first or exc
        self.hosts.clear()
        self._namespaces.clear()
        shutil.rmtree(self.root, ignore_errors=True)
        if first is not None:
            raise first


@contextlib.contextmanager
def cluster_of(
    root: Path,
    names: Sequence[str],
    busybox_rootfs: Path,
    daemon_args: Sequence[str] = (),
    with_store: bool = True,
    daemon_env: dict[str, str] | None = None,
    tls: bool = False,
) -> Iterator[Cluster]:
    cluster = Cluster(root, daemon_args=tuple(daemon_args), with_store=with_store, daemon_env=daemon_env or {}, tls=tls)
    try:
        cluster.start(names, busybox_rootfs)
        yield cluster
    finally:
        cluster.stop()
