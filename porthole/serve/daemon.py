"""`porthole daemon`: the engine and its API server, until SIGTERM or SIGINT. Containers outlive it.

With --exporter and --web, one container watcher follows the daemon's own API for both: the exporter's
targets and the dashboard's (and the map's) records come from the same inspections and one events stream.
"""

import argparse
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker

from exporter.container_exporter import ContainerExporter
from exporter.errors import InvalidOption
from exporter.self_metrics import ExporterMetrics
from exporter.watcher import ContainerWatcher, log_once_a_minute
from logdrivers.metrics import LogDriverCollector
from porthole.serve.metrics import DaemonMetrics
from porthole.serve.stopping import StopSignals
from runtime.api.app import build_router
from runtime.api.listeners import DEFAULT_GROUP, ListenError, ListenOptions, check_tcp
from runtime.api.metrics import DeferredWorkCollector, EngineMetrics
from runtime.api.server import API_VERSION, ApiServer
from runtime.engine.config import DaemonConfig
from runtime.engine.daemon import Engine
from runtime.errors import EngineError
from runtime.images.registry.mirrors import parse_mirror
from runtime.security.userns import RemapError, remapped_data_root, resolve_remap

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
        help="resolver the embedded DNS forwards unknown names to, for containers without --dns (default: the "
        "host's, from /etc/resolv.conf, as Docker's; 'none': no forwarding)",
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
    parser.add_argument(
        "--web-tls-cert",
        metavar="FILE",
        help="serve the dashboard over HTTPS with this certificate (with --web-tls-key)",
    )
    parser.add_argument("--web-tls-key", metavar="FILE", help="the dashboard certificate's private key")
    parser.add_argument(
        "--insecure-registry",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="a registry reached over plain HTTP when HTTPS fails (loopback ones always are)",
    )
    parser.add_argument(
        "--registry-mirror",
        action="append",
        default=[],
        type=_mirror_url,
        metavar="URL",
        help="a mirror of Docker Hub (http[s]://host[:port]), asked before the next for docker.io images; repeatable",
    )
    parser.add_argument(
        "--registry-certs-dir",
        type=Path,
        default=defaults.registry_certs_dir,
        help="where <host:port>/ca.crt trusts a registry's CA (default: Docker's)",
    )
    parser.add_argument(
        "--max-concurrent-downloads", type=int, default=defaults.max_concurrent_downloads, help="layers per pull"
    )
    parser.add_argument(
        "--max-concurrent-uploads", type=int, default=defaults.max_concurrent_uploads, help="layers per push"
    )
    parser.add_argument(
        "--userns-remap",
        default="",
        metavar="default|USER[:GROUP]|UID[:GID]",
        help="run containers in user namespaces mapped to the user's /etc/subuid and /etc/subgid ranges",
    )
    parser.add_argument("--debug", action="store_true", help="log every request")
    _add_api_security_arguments(parser)


def _add_api_security_arguments(parser: argparse.ArgumentParser) -> None:
    """dockerd's names for the API's TLS, plus the guards porthole adds (README: "The API over TCP")."""
    parser.add_argument("--tls", action="store_true", help="serve TCP over TLS (implied by --tlsverify)")
    parser.add_argument("--tlsverify", action="store_true", help="TLS, and require client certificates")
    parser.add_argument("--tlscacert", metavar="FILE", help="CA that signs the client certificates")
    parser.add_argument("--tlscert", metavar="FILE", help="the daemon's TLS certificate")
    parser.add_argument("--tlskey", metavar="FILE", help="the daemon's TLS key")
    parser.add_argument(
        "--insecure-tcp",
        action="store_true",
        help="allow a TCP address off loopback without --tlsverify (anyone reaching it is root here)",
    )
    parser.add_argument(
        "--api-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name TCP clients may send as Host besides loopback and this machine's (DNS rebinding guard)",
    )
    parser.add_argument("--group", default=DEFAULT_GROUP, help="group of the unix socket, 0660 when it exists")


def listen_options(args: argparse.Namespace) -> ListenOptions:
    return ListenOptions(
        tls=args.tls,
        tls_verify=args.tlsverify,
        tls_ca=args.tlscacert,
        tls_cert=args.tlscert,
        tls_key=args.tlskey,
        insecure_tcp=args.insecure_tcp,
        api_hosts=tuple(args.api_host),
        group=args.group,
    )


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


def _mirror_url(text: str) -> str:
    """--registry-mirror, checked as dockerd checks it and shown as it shows it (a trailing slash)."""
    try:
        return parse_mirror(text).url
    except EngineError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _dns_upstreams(flags: list[str]) -> tuple[str, ...] | None:
    """--dns-upstream: none given, the host's resolvers (None); `none`, no forwarding (())."""
    if not flags:
        return None
    return () if flags == ["none"] else tuple(flags)


def config_from_args(args: argparse.Namespace, warnings: tuple[str, ...] = ()) -> DaemonConfig:
    log_opts = {}
    for item in args.log_opt:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"porthole daemon: --log-opt {item!r}: expected KEY=VALUE")
        log_opts[key] = value
    try:
        remap = resolve_remap(args.userns_remap)
    except RemapError as e:
        raise SystemExit(f"porthole daemon: --userns-remap: {e.message}") from None
    data_root = args.data_root.resolve()
    return DaemonConfig(
        data_root=remapped_data_root(data_root, remap) if remap else data_root,
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
        dns_upstreams=_dns_upstreams(args.dns_upstream),
        metrics_addr=args.metrics_addr,
        insecure_registries=tuple(args.insecure_registry),
        registry_mirrors=tuple(args.registry_mirror),
        registry_certs_dir=args.registry_certs_dir,
        max_concurrent_downloads=args.max_concurrent_downloads,
        max_concurrent_uploads=args.max_concurrent_uploads,
        warnings=warnings,
        web_addr=args.web,
        mtu=args.mtu,
        cluster_store=args.cluster_store,
        cluster_advertise=args.cluster_advertise,
        cluster_store_opts=tuple(args.cluster_store_opt),
        userns_remap=remap,
    )


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    hosts = list(args.hosts or DaemonConfig().hosts)
    options = listen_options(args)
    try:
        warnings = tuple(w for w in (check_tcp(h, options) for h in hosts if h.startswith("tcp://")) if w)
    except ListenError as e:
        raise SystemExit(str(e)) from None
    for warning in warnings:
        log.warning("%s", warning)
    config = config_from_args(args, warnings)
    if args.exporter and not config.metrics_addr:
        raise SystemExit("porthole daemon: --exporter: needs --metrics-addr HOST:PORT to serve on")
    if not args.web and (args.web_tls_cert or args.web_tls_key):
        raise SystemExit("porthole daemon: --web-tls-cert and --web-tls-key need --web HOST:PORT")
    web_options = _web_options(args) if args.web else None  # checked before anything is made
    try:
        engine = Engine(config)
    except EngineError as e:  # a bad flag value (--bip, --default-address-pool, ...) or a host that refuses
        raise SystemExit(f"porthole daemon: {e.message}") from None
    router = build_router(engine)
    exporter_metrics = ExporterMetrics() if args.exporter else None
    client = watcher = None
    if args.exporter or web_options is not None:
        # A fixed API version: "auto" would ask the daemon, whose API is not serving yet.
        client = docker.APIClient(base_url=config.hosts[0], version=API_VERSION, timeout=30)
        on_error = exporter_metrics.discovery_failed if exporter_metrics is not None else log_once_a_minute()
        watcher = ContainerWatcher(client, component="porthole daemon", on_error=on_error)
    engine_metrics = metrics = None
    if config.metrics_addr:
        engine_metrics = EngineMetrics(
            engine.events,
            lambda: [c.state.status for c in engine.containers.store],
            router,
            stats_read_errors=lambda: engine.stats.read_errors,
            collectors=[
                LogDriverCollector(engine.shipping.log_stats),
                engine.image_metrics,
                DeferredWorkCollector(engine.deferred.counts),
            ],
        )
        exporter = None
        if watcher is not None and exporter_metrics is not None:
            exporter = ContainerExporter(watcher, exporter_metrics)
        try:
            metrics = DaemonMetrics(engine_metrics, config.metrics_addr, exporter=exporter)
        except InvalidOption as e:
            _close(engine_metrics, client, engine)
            raise SystemExit(str(e)) from None
    try:
        server = ApiServer(list(config.hosts), router, engine_metrics.observe if engine_metrics else None, options)
    except ListenError as e:
        _close(metrics or engine_metrics, client, engine)
        raise SystemExit(str(e)) from None
    stopping = StopSignals()
    engine.restore()
    server.start()
    if watcher is not None:
        watcher.start()  # once the API serves: the watcher follows it
    if metrics is not None:
        metrics.start()
        log.info("porthole daemon metrics at http://%s/metrics", config.metrics_addr)
    dashboard = None
    if web_options is not None:
        try:  # built once the watcher has the containers: the first page and the first map show them
            dashboard = _dashboard(web_options, config.hosts[0], watcher)
        except SystemExit:
            _close(metrics, watcher, client, server, engine)
            raise
        threading.Thread(target=dashboard.serve, name="web", daemon=True).start()
        log.info("porthole daemon dashboard at %s://%s/", "https" if web_options.tls else "http", dashboard.address)
    log.info("porthole daemon serving on %s (data root %s)", ", ".join(config.hosts), config.data_root)
    stopping.wait()
    log.info("porthole daemon stopping; containers keep running")
    _close(metrics, dashboard, watcher, client, server, engine)
    return 0


def _close(*parts: Any) -> None:
    """Close what was made, in the order given (what reads from a part before the part)."""
    for part in parts:
        if part is not None:
            part.close()


def _web_options(args: argparse.Namespace) -> "ServingOptions":
    """--web's address, token and TLS files, checked as `porthole web` checks them. The web app is imported here,
    at the composition root and only when asked for: the runtime itself never depends on it (DESIGN.md)."""
    from web.errors import WebError
    from web.serving import TOKEN_ENV
    from web.settings import serving_options, tls_files

    try:
        tls = tls_files(args.web_tls_cert, args.web_tls_key, flag_prefix="--web-")
        return serving_options(args.web, os.environ.get(TOKEN_ENV) or None, False, tls)
    except WebError as e:
        raise SystemExit(f"porthole daemon: --web: {e}") from None


def _dashboard(options: "ServingOptions", engine_url: str, watcher: ContainerWatcher | None) -> "Dashboard":
    """The web app for `engine_url` over the daemon's watcher, bound to its address, not yet serving."""
    from web.serving import build_dashboard

    try:
        return build_dashboard(engine_url, options, watcher=watcher)
    except OSError as e:
        raise SystemExit(f"porthole daemon: --web: cannot listen on {options.listen}: {e.strerror}") from None
