"""Network set-up cost and container-to-container TCP throughput, through the daemon (issue 3). Needs root.

1. Set-up: `docker run --rm --network {none,bridge,<user network>} busybox true` against a porthole daemon
   of the bench's own (own roots, socket, bridge, subnet, chains), interleaved, median of --runs each. The
   bridge-minus-none gap is what a network costs a run: netns, veth, address, rules, files (and the
   embedded DNS on a user network).
2. Throughput: two containers on one user network, and the floor: two plain namespaces on a plain bridge
   with no rules of ours. The same Python sender and receiver run in both pairs (entered through nsenter
   at the containers' SandboxKey), so only the path differs. It must add no userland hop: ratio near 1.

With --docker-image IMAGE and a reachable Docker daemon, Docker's `docker run --rm` is timed the same way
beside it; otherwise the anchor of /work/shared/reference/measured-anchors.md is printed.

    .venv/bin/python bench/bench_network.py [--runs 20] [--megabytes 1024] [--docker-image busybox:local]
"""

import argparse
import ipaddress
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.network.links import add_veth, bring_up_loopback, delete_link, ensure_bridge  # noqa: E402
from runtime.network.netns import create_netns, remove_netns  # noqa: E402
from tests.support.daemon import TestDaemon, busybox_tar  # noqa: E402  (the tests' own-daemon launcher)

DOCKER_ANCHOR_RUN_MS = 321  # `docker run --rm busybox true`, default bridge (measured-anchors.md)
FLOOR_SUBNET = ipaddress.IPv4Network("10.213.251.0/24")
MODES = ("none", "bridge", "benchnet")
IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")

RECEIVER = """
import socket
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 5001))
server.listen(1)
print("ready", flush=True)
conn, _ = server.accept()
buf = bytearray(1 << 20)
total = 0
while (n := conn.recv_into(buf)):
    total += n
conn.sendall(b"done")
print(total, flush=True)
"""
SENDER = """
import socket, sys, time
target, total = sys.argv[1], int(sys.argv[2])
chunk = b"x" * (1 << 20)
conn = socket.create_connection((target, 5001))
start = time.perf_counter()
for _ in range(total // len(chunk)):
    conn.sendall(chunk)
conn.shutdown(socket.SHUT_WR)
conn.recv(4)
print(time.perf_counter() - start, flush=True)
"""


def in_netns(netns: Path, *argv: str) -> list[str]:
    return ["nsenter", f"--net={netns}", *argv]


def transfer(receiver_ns: Path, sender_ns: Path, target: str, megabytes: int) -> float:
    """Gbit/s of one transfer of megabytes MiB from sender_ns to target (in receiver_ns)."""
    receiver = subprocess.Popen(
        in_netns(receiver_ns, sys.executable, "-c", RECEIVER), stdout=subprocess.PIPE, text=True
    )
    try:
        if receiver.stdout.readline().strip() != "ready":
            raise RuntimeError("receiver did not start")
        sent = subprocess.run(
            in_netns(sender_ns, sys.executable, "-c", SENDER, target, str(megabytes << 20)),
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        received = int(receiver.stdout.readline())
        if received != megabytes << 20:
            raise RuntimeError(f"received {received} bytes of {megabytes << 20}")
        return (megabytes << 20) * 8 / float(sent.stdout) / 1e9
    finally:
        receiver.kill()
        receiver.wait()


class PlainPair:
    """The floor: two namespaces on a bridge, no iptables rules of ours, no DNS, no state files.
    close() is safe on a half-made pair (every step tolerates what is missing)."""

    def __init__(self, root: Path, subnet: ipaddress.IPv4Network) -> None:
        self.bridge = "ptbfloor0"
        self.netns = [root / "floor-a", root / "floor-b"]
        self.veths = ["ptbfloor-a", "ptbfloor-b"]
        hosts = list(subnet.hosts())
        self.addresses = [str(hosts[1]), str(hosts[2])]
        try:
            ensure_bridge(self.bridge, ipaddress.IPv4Interface(f"{hosts[0]}/{subnet.prefixlen}"), 1500)
            for index, (netns, veth, address) in enumerate(zip(self.netns, self.veths, self.addresses, strict=True)):
                create_netns(netns)
                bring_up_loopback(netns)
                interface = ipaddress.IPv4Interface(f"{address}/{subnet.prefixlen}")
                add_veth(self.bridge, veth, netns, "eth0", f"02:00:00:00:00:0{index + 1}", [interface], 1500)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for veth, netns in zip(self.veths, self.netns, strict=True):
            delete_link(veth)
            remove_netns(netns)
        delete_link(self.bridge)


def timed_run_ms(docker: list[str], image: str, network: str) -> float:
    start = time.perf_counter()
    subprocess.run([*docker, "run", "--rm", "--network", network, image, "true"], check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def run_medians(docker: list[str], image: str, networks: tuple[str, ...], runs: int) -> dict[str, float]:
    """Median ms of `run --rm` per network, the networks interleaved so drift hits all alike."""
    times: dict[str, list[float]] = {network: [] for network in networks}
    for network in networks:
        timed_run_ms(docker, image, network)  # warm-up: first-use costs (page cache, lazy imports)
    for _ in range(runs):
        for network in networks:
            times[network].append(timed_run_ms(docker, image, network))
    return {network: statistics.median(values) for network, values in times.items()}


def docker_medians(image: str | None, runs: int) -> dict[str, float] | None:
    if image is None:
        return None
    probe = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
    if probe.returncode != 0:
        return None
    return run_medians(["docker"], image, ("none", "bridge"), runs)


def print_setup(ours: dict[str, float], docker: dict[str, float] | None, runs: int) -> None:
    print(f"docker run --rm busybox true, median of {runs} (ms):")
    labels = {"none": "--network none", "bridge": "default bridge", "benchnet": "user network"}
    for mode in MODES:
        extra = "" if mode == "none" else f"   (network set-up {ours[mode] - ours['none']:+.1f} ms)"
        print(f"  porthole {labels[mode]:16s} {ours[mode]:7.1f} ms{extra}")
    if docker is None:
        print(
            f"  docker: no daemon or no such image here; anchor: bridge {DOCKER_ANCHOR_RUN_MS} ms on this machine kind"
        )
        print(f"  porthole bridge / docker anchor: {ours['bridge'] / DOCKER_ANCHOR_RUN_MS:.2f}")
        return
    print(
        f"  docker   none {docker['none']:.1f} ms, bridge {docker['bridge']:.1f} ms "
        f"(network set-up {docker['bridge'] - docker['none']:+.1f} ms); porthole/docker bridge "
        f"{ours['bridge'] / docker['bridge']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--transfers", type=int, default=3)
    parser.add_argument("--docker-image")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_network: needs root (namespaces, bridges, iptables)")

    root = Path(tempfile.mkdtemp(prefix="porthole-bench-net-"))
    daemon = TestDaemon(root / "daemon")
    forward_before = IP_FORWARD.read_text()
    floor = None
    try:
        daemon.start()
        daemon.docker("import", str(busybox_tar(root / "busybox.tar")), "busybox:latest", check=True)
        daemon.docker("network", "create", "benchnet", check=True)
        ours = run_medians(["docker", "-H", daemon.host], "busybox", MODES, args.runs)
        print_setup(ours, docker_medians(args.docker_image, min(args.runs, 10)), args.runs)

        pair = []
        for name in ("rx", "tx"):
            daemon.docker("run", "-d", "--name", name, "--network", "benchnet", "busybox", "sleep", "3600", check=True)
            settings = json.loads(daemon.docker("inspect", name, check=True).stdout)[0]["NetworkSettings"]
            pair.append((Path(settings["SandboxKey"]), settings["Networks"]["benchnet"]["IPAddress"]))
        (rx_ns, rx_ip), (tx_ns, _) = pair
        floor = PlainPair(root, FLOOR_SUBNET)
        ours_gbps, plain_gbps = [], []
        for _ in range(args.transfers):  # interleaved, so drift on a noisy machine hits both alike
            ours_gbps.append(transfer(rx_ns, tx_ns, rx_ip, args.megabytes))
            plain_gbps.append(transfer(floor.netns[0], floor.netns[1], floor.addresses[0], args.megabytes))
        ours_median, plain_median = statistics.median(ours_gbps), statistics.median(plain_gbps)
        print(f"TCP throughput container to container, {args.megabytes} MiB, median of {args.transfers}:")
        print(f"  porthole user network  {ours_median:6.2f} Gbit/s")
        print(f"  plain netns on bridge  {plain_median:6.2f} Gbit/s   (floor)")
        print(f"  ratio                  {ours_median / plain_median:6.2f}")
    finally:
        if floor is not None:
            floor.close()
        daemon.stop()
        IP_FORWARD.write_text(forward_before)  # the daemon turns forwarding on, as Docker does
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
