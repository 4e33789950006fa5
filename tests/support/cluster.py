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
import secrets
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.certificates import make_tls_files
from tests.support.daemon import TestDaemon
from tests.support.etcd import Etcd
from tests.support.netns import in_netns, ip

LEASE_TTL = 5  # seconds: a host that disappears is gone from the others this long after
UNDERLAY_IFNAME = "eth0"


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
        running = [h for h in self.hosts.values() if h.daemon.process is not None]  # a killed one has no API
        for host in running:
            host.daemon.remove_containers()
        for host in running:
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
