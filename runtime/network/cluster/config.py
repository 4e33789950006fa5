"""`--cluster-store`, `--cluster-advertise` and `--cluster-store-opt`, parsed once (Docker's flag names and
option keys of the days of overlay networks without swarm)."""

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from runtime.errors import InvalidParameter

DEFAULT_ETCD_PORT = 2379
DEFAULT_TTL = 20  # seconds a host's lease outlives its last keep-alive (Docker's discovery.ttl was 60)
OPT_CA = "kv.cacertfile"
OPT_CERT = "kv.certfile"
OPT_KEY = "kv.keyfile"
OPT_TTL = "discovery.ttl"
KNOWN_OPTS = (OPT_CA, OPT_CERT, OPT_KEY, OPT_TTL)


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    endpoints: tuple[Endpoint, ...]
    advertise: str  # an interface name or an IPv4 address (the port is kept for display only)
    advertise_port: int
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    ttl: int = DEFAULT_TTL

    @property
    def url(self) -> str:
        """How messages name the store: etcd://HOST:PORT[,HOST:PORT...]."""
        return "etcd://" + ",".join(str(e) for e in self.endpoints)

    @property
    def tls(self) -> bool:
        return self.ca_file is not None or self.cert_file is not None


def _endpoint(text: str, url: str) -> Endpoint:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = text, str(DEFAULT_ETCD_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidParameter(f"network: cluster store {url}: {text!r} is not HOST[:PORT]")
    return Endpoint(host, int(port))


def _advertise(text: str) -> tuple[str, int]:
    where, sep, port = text.rpartition(":")
    if not sep or not where or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidParameter(f"network: cluster advertise {text!r}: expected IFACE_OR_IP:PORT")
    return where, int(port)


def _file(options: Mapping[str, str], key: str) -> Path | None:
    if key not in options:
        return None
    path = Path(options[key])
    if not path.is_file():
        raise InvalidParameter(f"network: cluster store option {key}={path}: no such file")
    return path


def parse_store_opts(items: Sequence[str]) -> dict[str, str]:
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in KNOWN_OPTS:
            raise InvalidParameter(
                f"network: cluster store option {item!r}: expected KEY=VALUE with KEY one of {', '.join(KNOWN_OPTS)}"
            )
        options[key] = value
    return options


def parse_store_config(store: str, opts: Sequence[str] = ()) -> ClusterConfig:
    """--cluster-store and its options alone, for a reader of the store (`porthole sd`) that is no host."""
    scheme, sep, rest = store.partition("://")
    if not sep or scheme != "etcd":
        raise InvalidParameter(f"network: cluster store {store!r}: only etcd://HOST:PORT[,HOST:PORT...] is supported")
    endpoints = tuple(_endpoint(item, store) for item in rest.strip("/").split(",") if item)
    if not endpoints:
        raise InvalidParameter(f"network: cluster store {store!r}: names no endpoint")
    options = parse_store_opts(opts)
    if (OPT_CERT in options) != (OPT_KEY in options):
        raise InvalidParameter(f"network: cluster store options {OPT_CERT} and {OPT_KEY}: give both or neither")
    ttl_text = options.get(OPT_TTL, str(DEFAULT_TTL))
    if not ttl_text.rstrip("s").isdigit() or int(ttl_text.rstrip("s")) < 2:
        raise InvalidParameter(f"network: cluster store option {OPT_TTL}={ttl_text}: must be 2 seconds or more")
    return ClusterConfig(
        endpoints=endpoints,
        advertise="",
        advertise_port=0,
        ca_file=_file(options, OPT_CA),
        cert_file=_file(options, OPT_CERT),
        key_file=_file(options, OPT_KEY),
        ttl=int(ttl_text.rstrip("s")),
    )


def parse_cluster_config(store: str, advertise: str | None, opts: Sequence[str] = ()) -> ClusterConfig:
    """Check the flags as `porthole daemon` takes them; an error names the flag and the reason."""
    config = parse_store_config(store, opts)
    if not advertise:
        raise InvalidParameter("network: cluster advertise: --cluster-store needs --cluster-advertise IFACE_OR_IP:PORT")
    where, port = _advertise(advertise)
    return replace(config, advertise=where, advertise_port=port)


def is_address(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def advertised_address(config: ClusterConfig, interface_address: Callable[[str], str | None]) -> str:
    """--cluster-advertise's IPv4 address: given as is, or the first address of the named interface."""
    if is_address(config.advertise):
        return config.advertise
    address = interface_address(config.advertise)
    if address is None:
        raise InvalidParameter(
            f"network: cluster advertise {config.advertise}:{config.advertise_port}: "
            f"interface {config.advertise} has no IPv4 address here"
        )
    return address
