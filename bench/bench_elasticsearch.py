"""The elasticsearch driver's throughput and CPU against the floor: the same documents sent by a minimal
`helpers.streaming_bulk` loop (issue 8: at least 0.9x the floor's documents/s at no more than 1.5x its client
CPU per document; the server, not the driver, should set the pace).

The server is noida-db (the tests' Elasticsearch-API server, see tests/unit/logdrivers/
test_elasticsearch_server.py), a fresh one on a free loopback port for each run so that no run pays for
another's data. Three runs over N lines of the same text:
  floor     streaming_bulk(chunk_size=batch) over action dicts of the driver's ECS documents (same fields,
            same `create` op, same ids), documents already in memory;
  driver    ElasticsearchDriver.ship_entries over the same messages in memory, in the shipper's batches;
  shipping  the whole daemon-side path: a Shipper follows a json-file log of N lines written beforehand (as
            the shim writes it), decodes it, builds the documents and ships them; timed until it is done.
CPU is this process's (the client side: every thread of it); the server's CPU is read from /proc apart.

    .venv/bin/python bench/bench_elasticsearch.py [--lines 100000] [--batch 1000] [--rounds 3]
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from elasticsearch import helpers  # noqa: E402

from logdrivers.elasticsearch.documents import DocumentEncoder  # noqa: E402
from logdrivers.elasticsearch.driver import ElasticsearchDriver  # noqa: E402
from logdrivers.elasticsearch.options import parse_options  # noqa: E402
from logdrivers.elasticsearch.template import template_body, template_name  # noqa: E402
from logdrivers.info import ContainerInfo  # noqa: E402
from logdrivers.jsonfile.driver import create_json_file  # noqa: E402
from logdrivers.jsonfile.options import parse_options as json_options  # noqa: E402
from logdrivers.message import LineBatch, Message  # noqa: E402
from logdrivers.shipping.shipper import Shipper, ShipperConfig  # noqa: E402
from logdrivers.shipping.state import state_path  # noqa: E402
from tests.support.elasticsearch import ElasticsearchServer  # noqa: E402

LINE = b"2026-11-28T04:31:07.123Z INFO  request handled method=GET path=/api/v1/items status=200 took=%d"
INDEX = "logs-bench-default"
GOAL_RATE, GOAL_CPU = 0.9, 1.5
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Result:
    seconds: float
    cpu_seconds: float  # this process
    server_cpu_seconds: float
    documents: int

    @property
    def rate(self) -> float:
        return self.documents / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / self.documents * 1e6


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def container(log_path: Path) -> ContainerInfo:
    return ContainerInfo(
        id="b" * 64,
        name="/bench",
        image_id="sha256:" + "c" * 64,
        image_name="busybox:latest",
        entrypoint="sh",
        args=(),
        created="2026-11-28T04:31:07.000000000Z",
        log_path=log_path,
        labels={"com.example.team": "web"},
        hostname="bench-host",
    )


def timed(server: ElasticsearchServer, work, documents: int, stored_before: int = 0) -> Result:
    """Run `work` and check the index then holds `documents` more than the `stored_before` put there untimed."""
    assert server.process is not None
    pid = server.process.pid
    server_before, cpu_before, started = server_cpu(pid), process_cpu(), time.perf_counter()
    work()
    seconds, cpu = time.perf_counter() - started, process_cpu() - cpu_before
    result = Result(seconds, cpu, server_cpu(pid) - server_before, documents)
    client = server.client()
    client.indices.refresh(index=INDEX)
    stored = client.count(index=INDEX)["count"]
    client.close()
    if stored != documents + stored_before:
        raise SystemExit(f"bench: {stored} documents stored, {documents + stored_before} expected")
    return result


def with_server(root: Path, name: str, run) -> Result:
    with ElasticsearchServer(root / name / "data") as server:
        # Warm-up in another index: connections, the template, the server's first allocations.
        driver = ElasticsearchDriver(container(root / "warm.log"), options(server.url, "logs-warm-default"))
        driver.ship_entries([Message(b"warm", "stdout", time.time_ns())], [(0, 0, 0, 0)], final=True)
        driver.close()
        return run(server)


def options(url: str, index: str = INDEX, batch: int = 1000):
    return parse_options(
        {"elasticsearch-url": url, "elasticsearch-index": index, "elasticsearch-batch-size": str(batch)}
    )


def messages(count: int) -> list[Message]:
    now = time.time_ns()
    return [Message(LINE % i, "stdout", now + i // 100) for i in range(count)]  # a read's lines share a time


def floor(server: ElasticsearchServer, msgs: list[Message], batch: int, info: ContainerInfo) -> Result:
    encoder = DocumentEncoder(info, options(server.url, batch=batch))
    docs, _ = encoder.documents(msgs, [(0, 0, 0, i) for i in range(len(msgs))], final=True)
    # The floor's input: plain dicts, as a user of the helper would hold them (not timed: built beforehand).
    actions = [{"_op_type": "create", "_index": INDEX, "_id": d.id, "_source": json.loads(d.source)} for d in docs]
    client = server.client()
    client.indices.put_index_template(name=template_name(INDEX), **template_body(INDEX))  # the same mappings

    def work():
        for ok, item in helpers.streaming_bulk(client, actions, chunk_size=batch, raise_on_error=False):
            assert ok, item

    result = timed(server, work, len(actions))
    client.close()
    return result


def driver_run(server: ElasticsearchServer, msgs: list[Message], batch: int, info: ContainerInfo) -> Result:
    driver = ElasticsearchDriver(info, options(server.url, batch=batch))
    driver.ship_entries(msgs[:1], [(0, 0, 0, -1)], final=True)  # its template (first use) before the clock
    places = [(0, 0, 0, i) for i in range(len(msgs))]

    def work():
        for start in range(0, len(msgs), 2048):  # the shipper's batches
            driver.ship_entries(msgs[start : start + 2048], places[start : start + 2048], final=True)

    result = timed(server, work, len(msgs), stored_before=1)
    driver.close()
    return result


def shipping_run(server: ElasticsearchServer, root: Path, count: int, batch: int) -> Result:
    log_dir = root / "shipping-log"
    log_dir.mkdir(parents=True)
    info = container(log_dir / ("b" * 64 + "-json.log"))
    writer = create_json_file(info, json_options({}))
    for start in range(0, count, 100):  # the shim's reads: 100 lines at a time
        data = b"".join(LINE % i + b"\n" for i in range(start, min(start + 100, count)))
        writer.log_batch(LineBatch("stdout", time.time_ns(), data))
    writer.close()
    driver = ElasticsearchDriver(info, options(server.url, batch=batch))
    driver.ship_entries([Message(b"x", "stdout", 0)], [(0, 0, 0, -1)], final=True)  # template before the clock
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name="elasticsearch",
        driver=driver,
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=lambda: False,
        config=ShipperConfig(),
    )

    def work():
        shipper.start()
        if not shipper.wait_finished(600):
            raise SystemExit("bench: the shipper did not finish in 10 minutes")

    return timed(server, work, count, stored_before=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000, help="documents per bulk request (both sides)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each kind; the median is shown")
    args = parser.parse_args()
    msgs = messages(args.lines)
    results: dict[str, list[Result]] = {"floor": [], "driver": [], "shipping": []}
    with tempfile.TemporaryDirectory(prefix="bench-es-") as tmp:
        root = Path(tmp)
        info = container(root / "memory.log")
        for round_ in range(args.rounds):
            results["floor"].append(with_server(root, f"floor{round_}", lambda s: floor(s, msgs, args.batch, info)))
            results["driver"].append(
                with_server(root, f"driver{round_}", lambda s: driver_run(s, msgs, args.batch, info))
            )
            results["shipping"].append(
                with_server(
                    root, f"ship{round_}", lambda s, r=round_: shipping_run(s, root / f"s{r}", args.lines, args.batch)
                )
            )
    median = {name: _median(rs) for name, rs in results.items()}
    base = median["floor"]
    print(f"{args.lines:,} documents, bulk requests of {args.batch}, median of {args.rounds} round(s)")
    print(f"{'':9s} {'docs/s':>9s} {'client CPU/doc':>15s} {'server CPU/doc':>15s} {'vs floor':>20s}")
    for name, r in median.items():
        ratio = f"{r.rate / base.rate:4.2f}x rate {r.cpu_us / base.cpu_us:4.2f}x CPU"
        print(
            f"{name:9s} {r.rate:9,.0f} {r.cpu_us:12.1f} us {r.server_cpu_seconds / r.documents * 1e6:12.1f} us"
            f" {ratio:>20s}"
        )
    for name in ("driver", "shipping"):
        r = median[name]
        ok = r.rate >= GOAL_RATE * base.rate and r.cpu_us <= GOAL_CPU * base.cpu_us
        verdict = "meets" if ok else "MISSES"
        print(f"{name}: {verdict} the goal (>= {GOAL_RATE}x the floor's docs/s at <= {GOAL_CPU}x its CPU per doc)")


def _median(results: list[Result]) -> Result:
    return sorted(results, key=lambda r: r.rate)[len(results) // 2] if results else Result(1, 1, 1, 1)


if __name__ == "__main__":
    main()
