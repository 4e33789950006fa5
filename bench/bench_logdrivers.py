"""Remote log drivers' throughput (issue 4): fluentd and gelf over UDP, with the sink a process on loopback.

Two figures per driver:
  driver    messages already in memory, handed to the driver in the shipper's batches (the driver's own cost);
  shipping  the whole daemon-side path: a Shipper follows a json-file log of N lines written beforehand (as the
            shim writes it), decodes it and delivers it; timed until the sink has every line.
CPU is this process's (the sink runs in a child process and is not counted); 1e6 / (CPU us per line) is what
one core sustains. Docker's anchors on this kind of machine (reference/measured-anchors.md): fluentd 83k
lines/s, gelf UDP 12.6k lines/s (gzip level 1, Docker's default); the issue asks 5x each. gelf at level 2
(zlib-ng, zlib's sizes) and without compression are shown too: compressing every message on its own, as GELF
requires, is a large part of gelf's cost. The sink counts the bytes it receives: bytes per message show what
each level's CPU buys.

    .venv/bin/python bench/bench_logdrivers.py [--lines 300000]
"""

import argparse
import multiprocessing
import resource
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from logdrivers.fluentd.driver import FluentdDriver  # noqa: E402
from logdrivers.fluentd.options import parse_options as fluentd_options  # noqa: E402
from logdrivers.gelf.driver import GelfDriver  # noqa: E402
from logdrivers.gelf.options import parse_options as gelf_options  # noqa: E402
from logdrivers.info import ContainerInfo  # noqa: E402
from logdrivers.jsonfile.driver import create_json_file  # noqa: E402
from logdrivers.jsonfile.options import parse_options as json_options  # noqa: E402
from logdrivers.message import LineBatch, Message  # noqa: E402
from logdrivers.shipping.shipper import Shipper, ShipperConfig  # noqa: E402
from logdrivers.shipping.state import state_path  # noqa: E402

ANCHORS = {"fluentd": 83_000, "gelf-udp": 12_600}
TARGET_FACTOR = 5
MESSAGES, BYTES = 0, 1  # the sink's counters
LINE = b"2026-11-28T04:31:07.123Z INFO  request handled method=GET path=/api/v1/items status=200 took=3ms"


@dataclass(frozen=True)
class Result:
    seconds: float
    cpu_seconds: float
    lines: int
    received: int
    received_bytes: int

    def show(self, name: str, anchor: int) -> str:
        rate = self.lines / self.seconds
        verdict = "meets" if rate >= anchor * TARGET_FACTOR else "BELOW"
        return (
            f"{name:26s} {rate:10,.0f} lines/s  {self.cpu_seconds / self.lines * 1e6:5.2f} us CPU/line  "
            f"{rate / anchor:5.1f}x Docker ({verdict} the {TARGET_FACTOR}x target)  received {self.received:,}, "
            f"{self.received_bytes / max(self.received, 1):.0f} bytes each"
        )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def forward_sink(port_out, counted) -> None:
    """Accept one Forward connection; count the entries of every PackedForward message."""
    import msgpack

    listener = socket.create_server(("127.0.0.1", 0))
    port_out.send(listener.getsockname()[1])
    conn, _ = listener.accept()
    unpacker = msgpack.Unpacker(raw=True)
    while data := conn.recv(1 << 20):
        unpacker.feed(data)
        with counted.get_lock():
            counted[BYTES] += len(data)
            for message in unpacker:
                counted[MESSAGES] += message[2][b"size"] if isinstance(message[1], bytes) else 1


def udp_sink(port_out, counted) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    sock.bind(("127.0.0.1", 0))
    port_out.send(sock.getsockname()[1])
    sock.settimeout(0.01)
    messages = size = 0
    while True:
        # Counted here and published every 256 datagrams or when idle: a shared counter's lock per datagram
        # made the sink slower than an uncompressed sender, and the kernel dropped what it could not queue.
        try:
            size += len(sock.recv(65536))
            messages += 1  # every message fits one datagram here
            if messages % 256:
                continue
        except TimeoutError:
            pass
        counted[BYTES], counted[MESSAGES] = size, messages  # one writer: no lock needed


def start_sink(target):
    parent, child = multiprocessing.Pipe()
    counted = multiprocessing.Array("q", 2)  # messages, bytes
    process = multiprocessing.Process(target=target, args=(child, counted), daemon=True)
    process.start()
    return process, parent.recv(), counted


def info_for(directory: Path) -> ContainerInfo:
    cid = "b" * 64
    return ContainerInfo(
        cid,
        "/bench",
        "sha256:" + "c" * 64,
        "busybox",
        "sh",
        ("-c", "app"),
        "2026-11-28T04:00:00Z",
        directory / f"{cid}-json.log",
        hostname="bench",
    )


def wait_count(counted, lines: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while counted[MESSAGES] < lines and time.monotonic() < deadline:
        time.sleep(0.005)


def bench_driver(make_driver, lines: int, counted, settle: float) -> Result:
    driver = make_driver()
    now = time.time_ns()
    messages = [Message(LINE, "stdout", now + i) for i in range(lines)]
    cpu0, t0 = _cpu(), time.perf_counter()
    for start in range(0, lines, 2048):
        driver.ship(messages[start : start + 2048])
    wait_count(counted, lines, settle)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    driver.close()
    return Result(seconds, cpu, lines, counted[MESSAGES], counted[BYTES])


def bench_shipping(make_driver, driver_name: str, lines: int, counted, directory: Path, settle: float) -> Result:
    info = info_for(directory)
    writer = create_json_file(info, json_options({}))
    per_batch = 1000
    for start in range(0, lines, per_batch):
        writer.log_batch(LineBatch("stdout", time.time_ns(), (LINE + b"\n") * min(per_batch, lines - start)))
    writer.close()
    done = threading.Event()
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name=driver_name,
        driver=make_driver(),
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=done.is_set,
        config=ShipperConfig(),
    )
    cpu0, t0 = _cpu(), time.perf_counter()
    shipper.start()
    shipper.wait_finished(settle + 120)
    wait_count(counted, lines, settle)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    shipper.stop()
    return Result(seconds, cpu, lines, counted[MESSAGES], counted[BYTES])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300_000)
    args = parser.parse_args()
    print(f"{args.lines:,} lines of {len(LINE)} bytes; sinks on 127.0.0.1 in a child process")
    with tempfile.TemporaryDirectory() as tmp:
        for case in ("driver", "shipping"):
            process, port, counted = start_sink(forward_sink)
            options = fluentd_options({"fluentd-address": f"127.0.0.1:{port}"})
            make = lambda o=options: FluentdDriver(info_for(Path(tmp)), o)  # noqa: E731
            directory = Path(tmp) / f"fluentd-{case}"
            directory.mkdir()
            result = (
                bench_driver(make, args.lines, counted, 30)
                if case == "driver"
                else bench_shipping(make, "fluentd", args.lines, counted, directory, 30)
            )
            print(result.show(f"fluentd {case}", ANCHORS["fluentd"]))
            process.terminate()
        gelf_cases = (
            ("gzip", "1", "driver"),
            ("gzip", "1", "shipping"),
            ("gzip", "2", "driver"),
            ("none", "", "driver"),
        )
        for compression, level, case in gelf_cases:
            process, port, counted = start_sink(udp_sink)
            opts = {"gelf-address": f"udp://127.0.0.1:{port}", "gelf-compression-type": compression}
            options = gelf_options({**opts, "gelf-compression-level": level} if level else opts)
            make = lambda o=options: GelfDriver(info_for(Path(tmp)), o)  # noqa: E731
            name = f"{compression} {level}".strip()
            directory = Path(tmp) / f"gelf-{name.replace(' ', '-')}-{case}"
            directory.mkdir()
            result = (
                bench_driver(make, args.lines, counted, 3)
                if case == "driver"
                else bench_shipping(make, "gelf", args.lines, counted, directory, 3)
            )
            print(result.show(f"gelf udp ({name}) {case}", ANCHORS["gelf-udp"]))
            process.terminate()


if __name__ == "__main__":
    main()
