"""Network set-up cost and container-to-container TCP throughput (issue 3). Needs root.

1. Set-up: NetworkService.create_sandbox + destroy_sandbox, for a container on a user-defined network
   (netns, veth, address, rules, embedded DNS, files), on the default bridge, and with --network none.
2. Throughput: a Python sender and receiver in two sandboxes on one porthole bridge, against the floor:
   the same transfer between two plain namespaces on a plain bridge made here with no rules of ours.
   The porthole path must add no userland hop, so the ratio should be close to 1.

With --docker-image IMAGE and a reachable Docker daemon, `docker run --rm --network {none,bridge} IMAGE true`
is timed beside it (Docker's whole run, not only its network set-up; compare the bridge-minus-none gap).

    .venv/bin/python bench/bench_network.py [--runs 20] [--megabytes 1024] [--docker-image busybox:local]
"""

import argparse
import ipaddress
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.network import NetworkConfig, NetworkService, SandboxSpec  # noqa: E402
from runtime.network.links import add_veth, bring_up_loopback, delete_link, ensure_bridge  # noqa: E402
from runtime.network.netns import create_netns, remove_netns  # noqa: E402

RECEIVER = """
import socket, sys
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


def median_ms(runs: int, work: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


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
                add_veth(self.bridge, veth, netns, "eth0", f"02:00:00:00:00:0{index + 1}", interface, 1500)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for veth, netns in zip(self.veths, self.netns, strict=True):
            delete_link(veth)
            remove_netns(netns)
        delete_link(self.bridge)


def docker_run_ms(image: str, network: str, runs: int) -> float | None:
    if shutil.which("docker") is None:
        return None
    probe = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
    if probe.returncode != 0:
        return None
    return median_ms(
        runs,
        lambda: subprocess.run(
            ["docker", "run", "--rm", "--network", network, image, "true"], check=True, capture_output=True
        ),
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
    config = NetworkConfig(
        bridge_name="ptbench0",
        bip="10.213.248.1/24",
        chain_prefix="PTBENCH",
        address_pool="10.213.249.0/24",
        pool_prefixlen=28,
    )
    forward_before = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    service = NetworkService(root / "data", root / "exec", config)
    floor = None
    try:
        service.start()
        service.restore({})
        service.create_network({"Name": "benchnet", "IPAM": {"Config": [{"Subnet": "10.213.250.0/24"}]}})

        def cycle(mode: str) -> Callable[[], None]:
            def once() -> None:
                directory = root / "containers" / secrets.token_hex(4)
                directory.mkdir(parents=True)
                spec = SandboxSpec(secrets.token_hex(32), "c" + directory.name, "h", directory, mode)
                service.create_sandbox(spec)
                service.forget_container(spec.container_id)

            return once

        print(f"set-up + tear-down, median of {args.runs} (ms):")
        setup = {mode: median_ms(args.runs, cycle(mode)) for mode in ("none", "bridge", "benchnet")}
        for mode, label in (("none", "--network none"), ("bridge", "default bridge"), ("benchnet", "user network")):
            print(f"  {label:16s} {setup[mode]:7.1f} ms   ({setup[mode] / setup['none']:.2f}x none)")
        if args.docker_image:
            docker = {n: docker_run_ms(args.docker_image, n, min(args.runs, 10)) for n in ("none", "bridge")}
            if None in docker.values():
                print("  docker: no daemon or no such image, skipped")
            else:
                print(
                    f"  docker run --rm: none {docker['none']:.0f} ms, bridge {docker['bridge']:.0f} ms "
                    f"(bridge adds {docker['bridge'] - docker['none']:.0f} ms; porthole adds "
                    f"{setup['bridge'] - setup['none']:.1f} ms)"
                )

        specs = []
        for name in ("rx", "tx"):
            directory = root / "containers" / name
            directory.mkdir(parents=True)
            specs.append(SandboxSpec(secrets.token_hex(32), name, name, directory, "benchnet"))
        rx, tx = (service.create_sandbox(spec) for spec in specs)
        floor = PlainPair(root, ipaddress.IPv4Network("10.213.251.0/24"))
        ours, plain = [], []
        for _ in range(args.transfers):  # interleaved, so drift on a noisy machine hits both alike
            ours.append(
                transfer(rx.netns_path, tx.netns_path, rx.settings["Networks"]["benchnet"]["IPAddress"], args.megabytes)
            )
            plain.append(transfer(floor.netns[0], floor.netns[1], floor.addresses[0], args.megabytes))
        ours_gbps, plain_gbps = statistics.median(ours), statistics.median(plain)
        print(f"TCP throughput, {args.megabytes} MiB, median of {args.transfers}:")
        print(f"  porthole bridge   {ours_gbps:6.2f} Gbit/s")
        print(f"  plain bridge      {plain_gbps:6.2f} Gbit/s   (floor)")
        print(f"  ratio             {ours_gbps / plain_gbps:6.2f}")
    finally:
        if floor is not None:
            floor.close()
        service.teardown()
        Path("/proc/sys/net/ipv4/ip_forward").write_text(forward_before)
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
