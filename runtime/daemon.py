"""`porthole daemon`: the engine and its API server, until SIGTERM or SIGINT. Containers outlive it."""

import argparse
import logging
import signal
import threading
from pathlib import Path

from exporter.errors import InvalidOption
from logdrivers.metrics import LogDriverCollector
from runtime.api.app import build_router
from runtime.api.server import ApiServer
from runtime.engine.config import DaemonConfig
from runtime.engine.daemon import Engine
from runtime.errors import EngineError
from runtime.metrics import EngineMetrics

log = logging.getLogger("porthole")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DaemonConfig()
    parser.add_argument("--data-root", type=Path, default=defaults.data_root, help="where state and images live")
    parser.add_argument("--exec-root", type=Path, default=defaults.exec_root, help="runtime files (shims, specs)")
    parser.add_argument("-H", "--host", dest="hosts", action="append",
                        help="unix:///path.sock or tcp://host:port to serve the API on (repeatable)")
    parser.add_argument("--cgroup-parent", default=defaults.cgroup_parent, help="parent cgroup of containers")
    parser.add_argument("--log-driver", default=defaults.log_driver, help="default logging driver")
    parser.add_argument("--log-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="default logging driver option (repeatable)")
    parser.add_argument("--bridge", default=defaults.bridge, help="name of the default bridge")
    parser.add_argument("--bip", default=defaults.bip, help="address/prefix of the default bridge")
    parser.add_argument("--default-address-pool", type=parse_address_pool,
                        default=(defaults.address_pool, defaults.address_pool_size), metavar="CIDR|base=CIDR,size=N",
                        help=f"where networks created without --subnet take theirs (default {defaults.address_pool}, "
                             f"/{defaults.address_pool_size} each)")
    parser.add_argument("--iptables-chain-prefix", default=defaults.iptables_prefix,
                        help="prefix of the iptables chains this daemon owns (tests use their own)")
    parser.add_argument("--dns-upstream", action="append", default=[], metavar="IP[:PORT]",
                        help="resolver the embedded DNS forwards unknown names to (default: none)")
    parser.add_argument("--metrics-addr", default=defaults.metrics_addr, metavar="HOST:PORT",
                        help="serve the engine's metrics at http://HOST:PORT/metrics (default: off)")
    parser.add_argument("--exporter", action="store_true",
                        help="serve the containers' cAdvisor metrics on --metrics-addr as well")
    parser.add_argument("--debug", action="store_true", help="log every request")


def parse_address_pool(text: str) -> tuple[str, int]:
    """A CIDR whose networks are /24s, or dockerd's form: base=CIDR,size=N. The CIDR is checked at start."""
    if "=" not in text:
        return text, DaemonConfig.address_pool_size
    fields = dict(item.partition("=")[::2] for item in text.split(","))
    unknown = sorted(set(fields) - {"base", "size"})
    if unknown or "base" not in fields:
        why = f"unknown field {unknown[0]!r}" if unknown else "no base"
        raise argparse.ArgumentTypeError(f"{text!r}: {why} (expected a CIDR or base=CIDR,size=N)")
    size = fields.get("size", str(DaemonConfig.address_pool_size))
    if not size.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: size {size!r} is not a prefix length")
    return fields["base"], int(size)


def config_from_args(args: argparse.Namespace) -> DaemonConfig:
    log_opts = {}
    for item in args.log_opt:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"porthole daemon: --log-opt {item!r}: expected KEY=VALUE")
        log_opts[key] = value
    return DaemonConfig(
        data_root=args.data_root.resolve(),
        exec_root=args.exec_root.resolve(),
        hosts=tuple(args.hosts or DaemonConfig().hosts),
        cgroup_parent=args.cgroup_parent,
        log_driver=args.log_driver,
        log_opts=log_opts,
        bridge=args.bridge,
        bip=args.bip,
        address_pool=args.default_address_pool[0],
        address_pool_size=args.default_address_pool[1],
        iptables_prefix=args.iptables_chain_prefix,
        dns_upstreams=tuple(args.dns_upstream),
        metrics_addr=args.metrics_addr,
    )


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config_from_args(args)
    if args.exporter and not config.metrics_addr:
        raise SystemExit("porthole daemon: --exporter: needs --metrics-addr HOST:PORT to serve on")
    try:
        engine = Engine(config)
    except EngineError as e:  # a bad flag value (--bip, --default-address-pool, ...) or a host that refuses
        raise SystemExit(f"porthole daemon: {e.message}") from None
    router = build_router(engine)
    metrics = None
    if config.metrics_addr:
        try:
            metrics = EngineMetrics(engine.events, lambda: [c.state.status for c in engine.containers.store],
                                    router, config.metrics_addr,
                                    collectors=[LogDriverCollector(engine.shipping.log_stats)],
                                    exporter_host=config.hosts[0] if args.exporter else None)
        except InvalidOption as e:
            engine.close()
            raise SystemExit(str(e)) from None
    server = ApiServer(list(config.hosts), router, observe=metrics.observe if metrics else None)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    engine.restore()
    server.start()
    if metrics is not None:
        metrics.start()
        log.info("porthole daemon metrics at http://%s/metrics", config.metrics_addr)
    log.info("porthole daemon serving on %s (data root %s)", ", ".join(config.hosts), config.data_root)
    stopping.wait()
    log.info("porthole daemon stopping; containers keep running")
    if metrics is not None:
        metrics.close()
    server.close()
    engine.close()
    return 0
