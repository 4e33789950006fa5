"""`porthole sd`: Prometheus file-based service discovery for every host of a cluster store.

Each host that serves metrics (`porthole daemon --metrics-addr ... [--exporter]`) publishes its address under its
lease; this writes them as a file_sd_configs file, one target per host labelled `host` (its hostname) and
`porthole_host_id`, so that one Prometheus scrapes every host and every series carries the host it came from. The
file is rewritten (atomically: Prometheus watches it) only when the set of hosts changes; a host whose lease
expires leaves it.
"""

import argparse
import json
import logging
import signal
import threading
from pathlib import Path

from common.throttle import LogThrottle
from runtime.atomicfile import write_bytes_atomic
from runtime.errors import EngineError
from runtime.network.cluster.config import parse_store_config
from runtime.network.cluster.etcd import EtcdClient
from runtime.network.cluster.keys import HOSTS, ClusterHost

log = logging.getLogger("porthole.sd")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster-store", required=True, metavar="etcd://HOST:PORT[,...]", help="the cluster store")
    parser.add_argument(
        "--cluster-store-opt", action="append", default=[], metavar="KEY=VALUE", help="kv.cacertfile, kv.certfile, ..."
    )
    parser.add_argument("--output", required=True, type=Path, help="the file_sd_configs JSON file to write")
    parser.add_argument("--interval", type=float, default=10.0, metavar="SECONDS", help="how often to look (10)")
    parser.add_argument("--once", action="store_true", help="write the file once and exit")


def targets(hosts: list[ClusterHost]) -> list[dict]:
    """file_sd_configs entries, one per host that serves metrics, in a stable order."""
    return [
        {"targets": [h.metrics], "labels": {"host": h.name, "porthole_host_id": h.host_id}}
        for h in sorted(hosts, key=lambda h: (h.name, h.host_id))
        if h.metrics
    ]


def read_hosts(etcd: EtcdClient) -> list[ClusterHost]:
    items, _ = etcd.range_prefix(HOSTS)
    return [ClusterHost.from_json(kv.value) for kv in items]


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        etcd = EtcdClient(parse_store_config(args.cluster_store, args.cluster_store_opt))
    except EngineError as e:
        raise SystemExit(f"porthole sd: {e.message}") from None
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    throttle = LogThrottle(60.0)
    written = None
    while True:
        try:
            wanted = targets(read_hosts(etcd))
        except EngineError as e:
            if args.once:
                raise SystemExit(f"porthole sd: {e.message}") from None
            if throttle.due():
                log.warning("%s (the last file written stays)", e.message)
        else:
            if wanted != written:
                # 0644: Prometheus reads it, usually as a user of its own
                write_bytes_atomic(args.output, json.dumps(wanted, indent=1).encode(), mode=0o644)
                log.info("porthole sd: %d hosts in %s", len(wanted), args.output)
                written = wanted
        if args.once or stopping.wait(args.interval):
            return 0
