"""`porthole daemon`: the engine and its API server, until SIGTERM or SIGINT. Containers outlive it."""

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from exporter.errors import InvalidOption
from logdrivers.metrics import LogDriverCollector
from porthole.serve.metrics import DaemonMetrics
from runtime.api.app import build_router
from runtime.api.metrics import EngineMetrics
from runtime.api.server import ApiServer
from runtime.engine.config import DaemonConfig
from runtime.engine.daemon import Engine
from runtime.errors import EngineError

if TYPE_CHECKING:  # the web app is imported only when --web asks for it
    from web.serving import Dashboard
    from web.settings import ServingOptions

log = logging.getLogger("porthole")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DaemonConfig()
    parser.add_argument("--data-root", type=Path, default=defaults.data_root, help="where state and images live")
    parser.add_argument("--exec-root", type=Path, default=defaults.exec_root, help="runtime files (shims, specs)")
    parser.add_argument(
        "-H",
        "--host",
        dest="hosts",
        action="append",
        help="unix:///path.sock or tcp://host:port to serve the API on (repeatable)",
    )
    parser.add_argument("--cgroup-parent", default=defaults.cgroup_parent, help="parent cgroup of containers")
    parser.add_argument("--log-driver", default=defaults.log_driver, help="default logging driver")
    parser.add_argument(
        "--log-opt", action="append", default=[], metavar="KEY=VALUE", help="default logging driver option (repeatable)"
    )
    parser.add_argument("--bridge", default=defaults.bridge, help="name of the default bridge")
    parser.add_argument("--bip", default=defaults.bip, help="address/prefix of the default bridge")
    parser.add_argument(
        "--default-address-pool",
        type=parse_address_pool,
        default=(defaults.address_pool, defaults.address_pool_size),
        metavar="CIDR|base=CIDR,size=N",
        help=f"where networks created without --subnet take theirs (default {defaults.address_pool}, "
        f"/{defaults.address_pool_size} each)",
    )
    parser.add_argument(
        "--iptables-chain-prefix",
        default=defaults.iptables_prefix,
        help="prefix of the iptables chains this daemon owns (tests use their own)",
    )
    parser.add_argument(
        "--dns-upstream",
        action="append",
        default=[],
        metavar="IP[:PORT]",
        help="resolver the embedded DNS forwards unknown names to (default: none)",
    )
    parser.add_argument("--mtu", type=int, default=defaults.mtu, help="MTU of the default bridge and new networks")
    parser.add_argument(
        "--cluster-store",
        metavar="etcd://HOST:PORT[,HOST:PORT...]",
        help="etcd (v3 API) holding the overlay networks shared with other hosts (default: none)",
    )
    parser.add_argument(
        "--cluster-advertise",
        metavar="IFACE_OR_IP:PORT",
        help="the address other hosts reach this one at (VXLAN tunnels end there)",
    )
    parser.add_argument(
        "--cluster-store-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="kv.cacertfile, kv.certfile, kv.keyfile (TLS to etcd), discovery.ttl (seconds a host's lease lasts)",
    )
    parser.add_argument(
        "--metrics-addr",
        default=defaults.metrics_addr,
        metavar="HOST:PORT",
        help="serve the engine's metrics at http://HOST:PORT/metrics (default: off)",
    )
    parser.add_argument(
        "--exporter", action="store_true", help="serve the containers' cAdvisor metrics on --metrics-addr as well"
    )
    parser.add_argument(
        "--web",
        metavar="HOST:PORT",
        help="serve the dashboard and the topology map on HOST:PORT as well, read-only (anything "
        "but loopback needs a token in $PORTHOLE_WEB_TOKEN); `porthole web` has every option",
    )
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
        web_addr=args.web,
        mtu=args.mtu,
        cluster_store=args.cluster_store,
        cluster_advertise=args.cluster_advertise,
        cluster_store_opts=tuple(args.cluster_store_opt),
    )


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = config_from_args(args)
    if args.exporter and not config.metrics_addr:
        raise SystemExit("porthole daemon: --exporter: needs --metrics-addr HOST:PORT to serve on")
    web_options = _web_options(args.web) if args.web else None  # checked before anything is made
    try:
        engine = Engine(config)
    except EngineError as e:  # a bad flag value (--bip, --default-address-pool, ...) or a host that refuses
        raise SystemExit(f"porthole daemon: {e.message}") from None
    router = build_router(engine)
    engine_metrics = metrics = None
    if config.metrics_addr:
        engine_metrics = EngineMetrics(
            engine.events,
            lambda: [c.state.status for c in engine.containers.store],
            router,
            collectors=[LogDriverCollector(engine.shipping.log_stats)],
        )
        try:
            metrics = DaemonMetrics(
                engine_metrics, config.metrics_addr, exporter_host=config.hosts[0] if args.exporter else None
            )
        except InvalidOption as e:
            engine_metrics.close()
            engine.close()
            raise SystemExit(str(e)) from None
    dashboard = None
    if web_options is not None:
        try:
            dashboard = _dashboard(web_options, config.hosts[0])
        except SystemExit:
            engine.close()
            raise
    server = ApiServer(list(config.hosts), router, observe=engine_metrics.observe if engine_metrics else None)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    engine.restore()
    server.start()
    if metrics is not None:
        metrics.start()
        log.info("porthole daemon metrics at http://%s/metrics", config.metrics_addr)
    if dashboard is not None:
        threading.Thread(target=dashboard.serve, name="web", daemon=True).start()
        log.info("porthole daemon dashboard at http://%s/", dashboard.address)
    log.info("porthole daemon serving on %s (data root %s)", ", ".join(config.hosts), config.data_root)
    stopping.wait()
    log.info("porthole daemon stopping; containers keep running")
    if metrics is not None:
        metrics.close()
    if dashboard is not None:
        dashboard.close()
    server.close()
    engine.close()
    return 0


def _web_options(listen: str) -> "ServingOptions":
    """--web's address and token, checked as `porthole web` checks them. The web app is imported here, at the
    composition root and only when asked for: the runtime itself never depends on it (DESIGN.md)."""
    from web.errors import WebError
    from web.serving import TOKEN_ENV
    from web.settings import serving_options

    try:
        return serving_options(listen, os.environ.get(TOKEN_ENV) or None, False)
    except WebError as e:
        raise SystemExit(f"porthole daemon: --web: {e}") from None


def _dashboard(options: "ServingOptions", engine_url: str) -> "Dashboard":
    """The web app for `engine_url`, bound to its address, not yet serving."""
    from web.serving import build_dashboard

    try:
        return build_dashboard(engine_url, options)
    except OSError as e:
        raise SystemExit(f"porthole daemon: --web: cannot listen on {options.listen}: {e.strerror}") from None
