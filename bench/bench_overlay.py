"""Overlay networks across hosts (issue 16). Needs root and Debian's etcd.

Two porthole "hosts" (network namespaces with a daemon each, on an underlay switch, etcd beside them: the
tests' own harness, tests/support/cluster.py), and:

1. Throughput: one container on host a sends to one on host b over an overlay; the floor is two bare
   namespaces on the same underlay joined by a hand-made VXLAN device (the kernel's data path and nothing
   else: no bridge, no veth, no rules). The same Python sender and receiver run in both pairs (entered with
   nsenter), transfers interleaved. Goal: >= 0.9x the floor.
2. Name reachability: a container started on host a (`run -d` returned) is reachable by name from host b (its
   embedded DNS answers and a TCP connection to it succeeds), p99 over --starts starts. Goal: <= 1 s.
3. Set-up cost: `run --rm busybox true` on an overlay against a user bridge network, interleaved, medians of
   the wall clock and mean of the engine's CPU time (the daemon's and its waited-for children's). Goal: <= +30 ms.

With --docker, Debian's dockerd does the same work in the same run on two more hosts of the underlay: 20.10 has
no --cluster-store any more, so its overlay is swarm mode's (an attachable overlay, bench/docker_swarm.py).

    .venv/bin/python bench/bench_overlay.py [--megabytes 1024] [--transfers 9] [--starts 100] [--runs 20] [--docker]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_network import timed_run_ms, transfer  # noqa: E402
from bench.docker_swarm import docker_swarm  # noqa: E402
from tests.support.cluster import UNDERLAY_IFNAME, Cluster, ip  # noqa: E402
from tests.support.daemon import NETNS_DIR, busybox_tar  # noqa: E402

FLOOR_ADDRESSES = ("192.0.2.1", "192.0.2.2")  # inside the floor's VXLAN only
FLOOR_VNI = 99
OVERLAY_MTU = 1450

# Reads names on stdin; for each, tries every 5 ms to resolve it through the embedded DNS (127.0.0.11) and
# open a TCP connection to port 80 at the answer; prints the seconds it took.
REACHER = """
import socket, sys, time
import dns.message, dns.query, dns.rcode
for line in sys.stdin:
    name = line.strip()
    start = time.perf_counter()
    while True:
        try:
            reply = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.11", timeout=0.2)
            answers = [r for rrset in reply.answer for r in rrset]
            if reply.rcode() == dns.rcode.NOERROR and answers:
                socket.create_connection((answers[0].address, 80), timeout=0.2).close()
                break
        except (OSError, dns.exception.DNSException):
            pass
        time.sleep(0.005)
    print(time.perf_counter() - start, flush=True)
"""


class FloorPair:
    """Two bare namespaces on the underlay, joined by a VXLAN device each (remote: the other's address)."""

    def __init__(self, cluster: Cluster) -> None:
        self.names = [f"phfloor{n}{cluster.tag}" for n in "ab"]
        self.netns = [NETNS_DIR / name for name in self.names]
        underlay = []
        for number, name in enumerate(self.names, start=200):
            ip("netns", "add", name)
            cluster._namespaces.append(name)  # removed with the cluster, whatever happens here
            underlay.append(cluster.underlay.plug(name, number))
        for index, name in enumerate(self.names):
            remote = underlay[1 - index]
            ip(
                "-n",
                name,
                "link",
                "add",
                "vxfloor",
                "type",
                "vxlan",
                "id",
                str(FLOOR_VNI),
                "local",
                underlay[index],
                "remote",
                remote,
                "dstport",
                "4789",
                "dev",
                UNDERLAY_IFNAME,
            )
            ip("-n", name, "link", "set", "vxfloor", "mtu", str(OVERLAY_MTU), "up")
            ip("-n", name, "addr", "add", f"{FLOOR_ADDRESSES[index]}/24", "dev", "vxfloor")


def sandbox(host, name: str, network: str) -> tuple[Path, str]:
    settings = json.loads(host.docker("inspect", name, check=True).stdout)[0]["NetworkSettings"]
    return Path(settings["SandboxKey"]), settings["Networks"][network]["IPAddress"]


def throughput(
    sender, receiver, network: str, floor: FloorPair, megabytes: int, transfers: int
) -> tuple[float, float, float]:
    """Median Gbit/s over the overlay and over the floor, transfers interleaved, and the median of each pair's
    ratio (the machine's speed drifts between pairs more than within one)."""
    receiver.docker("run", "-d", "--name", "rx", "--network", network, "busybox", "sleep", "3600", check=True)
    sender.docker("run", "-d", "--name", "tx", "--network", network, "busybox", "sleep", "3600", check=True)
    (rx_ns, rx_ip), (tx_ns, _) = sandbox(receiver, "rx", network), sandbox(sender, "tx", network)
    ours, kernel = [], []
    for _ in range(transfers):
        ours.append(transfer(rx_ns, tx_ns, rx_ip, megabytes))
        kernel.append(transfer(floor.netns[1], floor.netns[0], FLOOR_ADDRESSES[1], megabytes))
    ratios = [o / k for o, k in zip(ours, kernel, strict=True)]
    return statistics.median(ours), statistics.median(kernel), statistics.median(ratios)


def reachability(starter, watcher_host, network: str, starts: int) -> list[float]:
    """Seconds from `run -d` returning on one host to the name answering on the other, per start, sorted."""
    watcher_host.docker("run", "-d", "--name", "watcher", "--network", network, "busybox", "sleep", "3600", check=True)
    watcher_ns, _ = sandbox(watcher_host, "watcher", network)
    reacher = subprocess.Popen(
        ["nsenter", f"--net={watcher_ns}", sys.executable, "-c", REACHER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    delays = []
    try:
        for n in range(starts):
            name = f"reach{n}"
            starter.docker("run", "-d", "--name", name, "--network", network, "busybox", "httpd", "-f", "-p", "80",
                           check=True)  # fmt: skip
            reacher.stdin.write(name + "\n")
            reacher.stdin.flush()
            delays.append(float(reacher.stdout.readline()))
            starter.docker("rm", "-f", name, check=True)
    finally:
        reacher.kill()
        reacher.wait()
    return sorted(delays)


def daemon_pid(host) -> int:
    """The engine's own process: porthole's daemon, or dockerd (containerd, its shims and runc do the rest of
    Docker's work and are not counted)."""
    return (host.daemon.process if hasattr(host, "daemon") else host.process).pid


def cpu_seconds(pid: int) -> float:
    """User and system time of the process and of the children it has waited for (ip, iptables-restore ...)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def setup_cost(host, bridge: str, overlay: str, runs: int) -> dict[str, tuple[float, float]]:
    """(median wall ms, mean engine CPU ms) of `run --rm` on each network, interleaved (host: a cluster Host
    or a DockerHost). CPU time is what the engine spent, whatever else loads the machine: on a shared machine
    the wall clock mostly measures the neighbours."""
    docker, pid = ["docker", "-H", host.url], daemon_pid(host)
    walls: dict[str, list[float]] = {bridge: [], overlay: []}
    cpus: dict[str, list[float]] = {bridge: [], overlay: []}
    for network in (bridge, overlay):
        timed_run_ms(docker, "busybox", network)  # warm-up: first-use costs (page cache, lazy imports)
    for _ in range(runs):
        for network in (bridge, overlay):
            before = cpu_seconds(pid)
            walls[network].append(timed_run_ms(docker, "busybox", network))
            cpus[network].append((cpu_seconds(pid) - before) * 1000)
    # CPU time comes in ticks of 10 ms: its mean, not its median, resolves a few ms
    return {n: (statistics.median(walls[n]), statistics.mean(cpus[n])) for n in (bridge, overlay)}


def percentile(delays: list[float], share: float) -> float:
    return delays[min(len(delays) - 1, int(len(delays) * share))]


def report(
    name: str, gbps: tuple[float, float, float], delays: list[float], setup: dict[str, tuple[float, float]], bridge: str
) -> None:
    ours, floor, ratio = gbps
    (bridge_ms, bridge_cpu), (overlay_ms, overlay_cpu) = setup[bridge], setup["benchov"]
    extra = overlay_ms - bridge_ms
    print(f"{name}:")
    print(
        f"  TCP host a -> host b over the overlay {ours:6.2f} Gbit/s, floor (bare VXLAN) {floor:6.2f}: "
        f"median ratio of the interleaved pairs {ratio:4.2f} (goal >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'})"
    )
    print(
        f"  name reachable from host b after a start on host a: p50 {percentile(delays, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(delays, 0.99) * 1000:.1f} ms, max {delays[-1] * 1000:.1f} ms over {len(delays)} "
        f"(goal p99 <= 1 s: {'met' if percentile(delays, 0.99) <= 1 else 'NOT met'})"
    )
    print(
        f"  run --rm busybox true: bridge network {bridge_ms:.1f} ms, overlay {overlay_ms:.1f} ms "
        f"({extra:+.1f} ms; goal <= +30: {'met' if extra <= 30 else 'NOT met'})"
    )
    print(
        f"  engine CPU per run --rm: bridge network {bridge_cpu:.1f} ms, overlay {overlay_cpu:.1f} ms "
        f"({overlay_cpu - bridge_cpu:+.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--transfers", type=int, default=9)
    parser.add_argument("--starts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--docker", action="store_true", help="Debian's dockerd in swarm mode, side by side")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_overlay: needs root (namespaces, VXLAN devices, iptables)")
    root = Path(tempfile.mkdtemp(prefix="porthole-bench-overlay-"))
    cluster = Cluster(root)
    swarm = ()
    try:
        image = busybox_tar(root / "busybox.tar")
        cluster.start(("a", "b"), image)
        a, b = cluster.hosts["a"], cluster.hosts["b"]
        a.docker("network", "create", "-d", "overlay", "--subnet", "10.90.0.0/24", "benchov", check=True)
        a.docker("network", "create", "benchbr", check=True)
        deadline = time.monotonic() + 10
        while b"benchov" not in b.docker("network", "ls").stdout:
            if time.monotonic() > deadline:
                raise RuntimeError("benchov never reached host b")
            time.sleep(0.05)
        floor = FloorPair(cluster)
        if args.docker:
            swarm = docker_swarm(cluster, image, "benchov", "10.91.0.0/24")
            swarm[0].docker("network", "create", "benchbr")
        results = [("porthole", a, b)] + ([("docker (swarm mode)", *swarm)] if swarm else [])
        print(f"{args.megabytes} MiB x {args.transfers} transfers, {args.starts} starts, {args.runs} runs each")
        for name, first, second in results:
            gbps = throughput(first, second, "benchov", floor, args.megabytes, args.transfers)
            delays = reachability(first, second, "benchov", args.starts)
            setup = setup_cost(first, "benchbr", "benchov", args.runs)
            report(name, gbps, delays, setup, "benchbr")
    finally:
        for host in swarm:
            host.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
