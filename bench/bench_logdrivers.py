"""Remote log drivers' throughput (issues 4 and 19): fluentd, gelf over UDP, syslog over TCP and journald, with
the sink a process on loopback (a unix datagram socket for journald).

Two figures per driver:
  driver    messages already in memory, handed to the driver in the shipper's batches (the driver's own cost);
  shipping  the whole daemon-side path: a Shipper follows a json-file log of N lines written beforehand (as the
            shim writes it), decodes it and delivers it; timed until the sink has every line.
CPU is this process's (the sink runs in a child process and is not counted); 1e6 / (CPU us per line) is what
one core sustains.

Docker's side, in the same run: when Debian's dockerd is installed, the bench starts one with its own data
root, exec root and socket (tests/support/dockerd.py; in a mount namespace that shows it the bench's journald
sink as /run/systemd/journal/socket), runs `yes LINE | head -n N` in a container logging through Docker's
fluentd, syslog (tcp), journald and gelf (udp, gzip at Docker's default level 1) drivers to the same kind of
sink, and times it from `docker run` until the sink has every line (over UDP: until the last that arrived, once
none came for 3 s; the rate counts what arrived); its CPU is dockerd's. Docker's gelf driver compresses each
message with a new gzip writer and falls far behind the container, so the container sleeps after its output
(Docker drops a logger's backlog some seconds after the container exits) and is removed once the sink has all.
Without dockerd, the stale anchors of reference/measured-anchors.md stand in (fluentd 83k, gelf UDP 12.6k
lines/s) and are marked as such. The issue asks 5x Docker. gelf at level 2 (zlib-ng, zlib's sizes) and without
compression are shown too: compressing every message on its own, as GELF requires, is a large part of gelf's
cost. The sink counts the bytes it receives: bytes per message show what each level's CPU buys.
journald has a third figure, its floor: the kernel's datagram path with the same entries, prebuilt and sent by
sendmmsg from this process (see bench_journal_floor), with the share of a core its sink was busy.

    .venv/bin/python bench/bench_logdrivers.py [--lines 300000] [--no-docker] [--only journald ...]
"""

import argparse
import ctypes
import multiprocessing
import os
import resource
import socket
import struct
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
from logdrivers.journald.driver import JournaldDriver  # noqa: E402
from logdrivers.journald.encode import JournalEncoder  # noqa: E402
from logdrivers.journald.options import parse_options as journald_options  # noqa: E402
from logdrivers.journald.sendmmsg import DatagramBatch, MMsgHdr, message_headers  # noqa: E402
from logdrivers.jsonfile.driver import create_json_file  # noqa: E402
from logdrivers.jsonfile.options import parse_options as json_options  # noqa: E402
from logdrivers.message import LineBatch, Message  # noqa: E402
from logdrivers.shipping.shipper import Shipper, ShipperConfig  # noqa: E402
from logdrivers.shipping.state import state_path  # noqa: E402
from logdrivers.syslog.driver import SyslogDriver  # noqa: E402
from logdrivers.syslog.options import parse_options as syslog_options  # noqa: E402
from runtime.linux.constants import CLONE_NEWNET  # noqa: E402
from runtime.linux.syscalls import unshare  # noqa: E402
from tests.support.daemon import busybox_tar  # noqa: E402
from tests.support.dockerd import Dockerd, dockerd_installed  # noqa: E402

ANCHORS = {"fluentd": 83_000, "gelf-udp": 12_600}
DRIVERS = ["fluentd", "syslog", "journald", "gelf"]
DOCKER_GELF_LINES = 20_000  # Docker's gelf sends ~400 lines/s here (a new gzip writer per message)
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

    @property
    def rate(self) -> float:
        """Lines per second that arrived (over UDP some may not)."""
        return min(self.received, self.lines) / self.seconds

    def show(self, name: str, anchor: tuple[float, str]) -> str:
        """`anchor`: Docker's lines/s for the same driver and where it comes from ("" when measured in this run,
        " (stale anchor)" otherwise); a rate of 0: no figure."""
        rate = self.rate
        docker, source = anchor
        if docker:
            verdict = "meets" if rate >= docker * TARGET_FACTOR else "BELOW"
            against = f"{rate / docker:5.1f}x Docker{source} ({verdict} the {TARGET_FACTOR}x target)"
        else:
            against = "no Docker figure"
        return (
            f"{name:26s} {rate:10,.0f} lines/s  {self.cpu_seconds / self.lines * 1e6:5.2f} us CPU/line  "
            f"{against}  received {self.received:,}, {self.received_bytes / max(self.received, 1):.0f} bytes each"
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


def line_sink(port_out, counted) -> None:
    """Accept TCP connections one after the other (Docker dials once per container); count newlines: each
    syslog message ends with one, whatever the framing (octet counts or none)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port_out.send(listener.getsockname()[1])
    messages = size = 0
    while True:
        conn, _ = listener.accept()
        while data := conn.recv(1 << 20):
            messages += data.count(b"\n")
            size += len(data)
            counted[BYTES], counted[MESSAGES] = size, messages
        conn.close()


class DatagramReceiver:
    """recvmmsg(2) through ctypes (Python's socket has none): up to SLOTS datagrams a system call, each into its own
    slot of a buffer made once; what each brought is read from the headers' msg_len with C-speed slicing."""

    SLOTS, SLOT_SIZE = 256, 1 << 16
    MSG_WAITFORONE = 0x10000  # wait for the first datagram only, then take what is queued

    def __init__(self, fd: int) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._recvmmsg = libc.recvmmsg
        self._recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
        self._fd = fd
        self._buffer = ctypes.create_string_buffer(self.SLOTS * self.SLOT_SIZE)
        self._headers, self._iovecs = message_headers(self.SLOTS)
        self._iovecs[0::2] = range(
            ctypes.addressof(self._buffer), ctypes.addressof(self._buffer) + len(self._buffer), self.SLOT_SIZE
        )
        self._iovecs[1::2] = [self.SLOT_SIZE] * self.SLOTS
        words = memoryview(self._headers).cast("B").cast("I")
        self._lengths = words[MMsgHdr.msg_len.offset // 4 :: ctypes.sizeof(MMsgHdr) // 4]

    def receive(self) -> tuple[int, int]:
        """Datagrams and bytes received; BlockingIOError once the socket's receive timeout passes idle."""
        got = self._recvmmsg(self._fd, self._headers, self.SLOTS, self.MSG_WAITFORONE, None)
        if got < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        return got, sum(self._lengths[:got])


def journal_sink(port_out, counted, path: str) -> None:
    """A unix datagram socket standing where journald's would: one datagram per entry, counted.

    Its queue holds 512 datagrams, as journald's does on a systemd host: systemd (PID 1) raises
    net.unix.max_dgram_qlen to 512 at boot, where the kernel's default is 10 (raised to 512 in Linux itself
    only in 2023). The sysctl is read when the socket is made, per network namespace: the sink makes its own
    namespace to set it, and a path-bound unix socket is reached from every namespace.

    It must never be the bound: a recv(1 << 20) allocated a MiB per datagram and held the sink near 28k
    datagrams/s, and a recv_into a buffer made once kept it 96% busy at 400k. So it takes what is queued by
    recvmmsg, on a blocking socket whose idle timeout is the kernel's (SO_RCVTIMEO; a Python timeout polls
    before each call), and publishes its counts after each call."""
    unshare(CLONE_NEWNET)
    Path("/proc/sys/net/unix/max_dgram_qlen").write_text("512")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 10_000))  # 10 ms
    sock.bind(path)
    os.chmod(path, 0o666)
    port_out.send(0)
    receive = DatagramReceiver(sock.fileno()).receive
    messages = size = 0
    while True:
        try:
            got, got_bytes = receive()
            messages, size = messages + got, size + got_bytes
        except BlockingIOError:  # idle for 10 ms
            pass
        counted[BYTES], counted[MESSAGES] = size, messages


def start_sink(target, *args):
    parent, child = multiprocessing.Pipe()
    counted = multiprocessing.Array("q", 2)  # messages, bytes
    process = multiprocessing.Process(target=target, args=(child, counted, *args), daemon=True)
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


def wait_count(counted, lines: int, quiet: float) -> float:
    """Wait until the sink has every line, or has received nothing for `quiet` seconds (UDP may lose some, and
    a slow sender is still sending after its container exited); the time the last of them arrived."""
    seen, last = counted[MESSAGES], time.perf_counter()
    while seen < lines and time.perf_counter() - last < quiet:
        time.sleep(0.005)
        if counted[MESSAGES] != seen:
            seen, last = counted[MESSAGES], time.perf_counter()
    return last if seen < lines else time.perf_counter()


def bench_driver(make_driver, lines: int, counted, settle: float) -> Result:
    driver = make_driver()
    now = time.time_ns()
    messages = [Message(LINE, "stdout", now + i) for i in range(lines)]
    cpu0, t0 = _cpu(), time.perf_counter()
    for start in range(0, lines, 2048):
        driver.ship(messages[start : start + 2048])
    seconds, cpu = wait_count(counted, lines, settle) - t0, _cpu() - cpu0
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
    seconds, cpu = wait_count(counted, lines, settle) - t0, _cpu() - cpu0
    shipper.stop()
    return Result(seconds, cpu, lines, counted[MESSAGES], counted[BYTES])


def bench_journal_floor(path: Path, lines: int, counted, settle: float) -> Result:
    """The kernel's datagram path with the driver's entries, at C speed: a shipper's batch of them encoded and laid
    out beforehand, sent again and again by sendmmsg until the sink has `lines` (rounded up to whole batches). No
    driver in Python sends faster to this sink: the bound the goal is set against."""
    now = time.time_ns()
    encoder = JournalEncoder(info_for(path.parent), journald_options({}))
    tails = encoder.encode_tails([Message(LINE, "stdout", now + i) for i in range(ShipperConfig().batch_lines)])
    batch = DatagramBatch()
    batch.load(tails, encoder.head)
    rounds = -(-lines // len(batch))
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(str(path))
        fd = sock.fileno()
        cpu0, t0 = _cpu(), time.perf_counter()
        for _ in range(rounds):
            sent = 0
            while sent < len(batch):
                sent += batch.send(fd, sent)
        seconds, cpu = wait_count(counted, rounds * len(batch), settle) - t0, _cpu() - cpu0
    return Result(seconds, cpu, rounds * len(batch), counted[MESSAGES], counted[BYTES])


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_docker(dockerd: Dockerd, log_opts: list[str], lines: int, counted, settle: float) -> Result:
    """`yes LINE | head -n N` in a container of Docker's, logging through its driver; until the sink has all."""
    pid = int((dockerd.root / "dockerd.pid").read_text())
    script = f"yes '{LINE.decode()}' | head -n {lines}; exec sleep 3600"
    options = ["--network", "none", *log_opts]
    cpu0, t0 = _process_cpu(pid), time.perf_counter()
    # Left running, then removed once the sink has everything: Docker closes a container's logger some seconds
    # after it exits, and its gelf driver, still compressing a backlog then, drops the rest ("use of closed
    # network connection" in dockerd's log).
    started = dockerd.docker("run", "-d", *options, "busybox", "sh", "-c", script, check=True)
    try:
        seconds, cpu = wait_count(counted, lines, settle) - t0, _process_cpu(pid) - cpu0
    finally:
        dockerd.docker("rm", "-f", started.stdout.decode().strip())
    return Result(seconds, cpu, lines, counted[MESSAGES], counted[BYTES])


def docker_rates(dockerd: Dockerd | None, journal_dir: Path, lines: int, drivers: set[str]) -> dict[str, float]:
    """Docker's lines/s per driver, measured now (empty without a dockerd)."""
    if dockerd is None:
        return {}
    rates: dict[str, float] = {}
    cases = [
        (
            "fluentd",
            forward_sink,
            (),
            lambda port: ["--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{port}"],
        ),
        (
            "syslog-tcp",
            line_sink,
            (),
            lambda port: ["--log-driver", "syslog", "--log-opt", f"syslog-address=tcp://127.0.0.1:{port}"],
        ),
        ("journald", journal_sink, (str(journal_dir / "socket"),), lambda port: ["--log-driver", "journald"]),
        (
            "gelf-udp",  # Docker's defaults, as porthole's "gzip 1": gzip at flate.BestSpeed
            udp_sink,
            (),
            lambda port: ["--log-driver", "gelf", "--log-opt", f"gelf-address=udp://127.0.0.1:{port}"],
        ),
    ]
    for name, sink, extra, opts in cases:
        if name.split("-")[0] not in drivers:
            continue
        process, port, counted = start_sink(sink, *extra)
        try:
            if sink is udp_sink:  # a rate per line either way; all 300,000 would take Docker's gelf 12 minutes
                result = bench_docker(dockerd, opts(port), min(lines, DOCKER_GELF_LINES), counted, 3)
            else:
                result = bench_docker(dockerd, opts(port), lines, counted, 60)
        finally:
            process.terminate()
            process.join()
        (journal_dir / "socket").unlink(missing_ok=True)
        rates[name] = result.rate
        cpu_per_line = result.cpu_seconds / result.lines * 1e6
        print(
            f"{'Docker ' + name:26s} {rates[name]:10,.0f} lines/s  {cpu_per_line:5.2f} us dockerd CPU/line  received "
            f"{result.received:,} of {result.lines:,}, {result.received_bytes / max(result.received, 1):.0f} bytes each"
        )
    return rates


def start_dockerd(root: Path, journal_dir: Path) -> Dockerd | None:
    if not dockerd_installed():
        print("Docker: dockerd not installed (apt-get install docker.io): the stale anchors stand in")
        return None
    dockerd = Dockerd(root / "dockerd", cgroup_parent="porthole-bench-dockerd", journal_dir=journal_dir)
    dockerd.start()
    dockerd.docker("import", str(busybox_tar(root / "busybox.tar")), "busybox:latest", check=True)
    return dockerd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--no-docker", action="store_true", help="do not start Debian's dockerd beside")
    parser.add_argument("--only", nargs="+", choices=DRIVERS, default=DRIVERS, help="these drivers only")
    args = parser.parse_args()
    drivers = set(args.only)
    print(f"{args.lines:,} lines of {len(LINE)} bytes; sinks on 127.0.0.1 in a child process")
    with tempfile.TemporaryDirectory() as tmp:
        journal_dir = Path(tmp) / "journal"
        journal_dir.mkdir()
        dockerd = None if args.no_docker else start_dockerd(Path(tmp), journal_dir)
        try:
            docker = docker_rates(dockerd, journal_dir, args.lines, drivers)
        finally:
            if dockerd is not None:
                dockerd.stop()

        def anchor(name: str, stale: float) -> tuple[float, str]:
            return (docker[name], "") if name in docker else (stale, " (stale anchor)" if stale else "")

        for case in ("driver", "shipping") if "fluentd" in drivers else ():
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
            print(result.show(f"fluentd {case}", anchor("fluentd", ANCHORS["fluentd"])))
            process.terminate()
        for case in ("driver", "shipping") if "syslog" in drivers else ():
            process, port, counted = start_sink(line_sink)
            options = syslog_options({"syslog-address": f"tcp://127.0.0.1:{port}", "syslog-format": "rfc5424"})
            make = lambda o=options: SyslogDriver(info_for(Path(tmp)), o)  # noqa: E731
            directory = Path(tmp) / f"syslog-{case}"
            directory.mkdir()
            result = (
                bench_driver(make, args.lines, counted, 30)
                if case == "driver"
                else bench_shipping(make, "syslog", args.lines, counted, directory, 30)
            )
            print(result.show(f"syslog tcp {case}", anchor("syslog-tcp", 0)))
            process.terminate()
        for case in ("floor", "driver", "shipping") if "journald" in drivers else ():
            path = Path(tmp) / f"journal-{case}.sock"
            process, _, counted = start_sink(journal_sink, str(path))
            make = lambda p=path: JournaldDriver(info_for(Path(tmp)), journald_options({}), str(p))  # noqa: E731
            directory = Path(tmp) / f"journald-{case}"
            directory.mkdir()
            sink_cpu = _process_cpu(process.pid)
            if case == "floor":
                result = bench_journal_floor(path, args.lines, counted, 30)
            elif case == "driver":
                result = bench_driver(make, args.lines, counted, 30)
            else:
                result = bench_shipping(make, "journald", args.lines, counted, directory, 30)
            # Near 100%, the sink would be the bound, not the sender.
            sink_busy = (_process_cpu(process.pid) - sink_cpu) / result.seconds
            print(result.show(f"journald {case}", anchor("journald", 0)) + f", sink busy {sink_busy:.0%}")
            process.terminate()
        if "gelf" not in drivers:
            return
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
            print(result.show(f"gelf udp ({name}) {case}", anchor("gelf-udp", ANCHORS["gelf-udp"])))
            process.terminate()


if __name__ == "__main__":
    main()
