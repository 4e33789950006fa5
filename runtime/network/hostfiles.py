"""A container's /etc/hosts, /etc/resolv.conf and /etc/hostname, rendered as Docker writes them.

Files are rewritten in place (truncate and write, never rename): the engine bind-mounts them into the
container, and a bind mount keeps the inode it was made with, so a renamed-over file would go unseen.
"""

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import InvalidParameter
from runtime.network.config import NetworkConfig, ipv4_nameservers, parse_upstream
from runtime.network.firewall_rules import DNS_ADDRESS
from runtime.network.records import MODE_CONTAINER, MODE_HOST, ContainerRecord

HOSTS_PREAMBLE = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)
HOST_GATEWAY = "host-gateway"


@dataclass(frozen=True, slots=True)
class ResolvConf:
    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[str, ...]


def parse_extra_hosts(entries: Iterable[str], host_gateway: str) -> list[tuple[str, str]]:
    """HostConfig.ExtraHosts ("name:ip" or "name=ip"; ip may be "host-gateway") -> [(ip, name)]."""
    parsed = []
    for entry in entries:
        separator = "=" if "=" in entry else ":"
        name, _, address = entry.partition(separator)
        if address == HOST_GATEWAY:
            address = host_gateway
        try:
            ipaddress.ip_address(address.strip("[]"))
        except ValueError as exc:
            raise InvalidParameter(f'invalid IP address in add-host: "{address}"') from exc
        if not name:
            raise InvalidParameter(f'invalid add-host: "{entry}": no host name')
        parsed.append((address.strip("[]"), name))
    return parsed


def own_names(hostname: str, domainname: str) -> str:
    """What the container's addresses are named, as moby's etchosts writes it: the FQDN (a dotted hostname, or
    one split across hostname and domainname), then the bare name when it differs."""
    fqdn = f"{hostname}.{domainname}" if domainname else hostname
    bare = fqdn.partition(".")[0]
    return fqdn if bare == fqdn else f"{fqdn} {bare}"


def render_hosts(hostname: str, domainname: str, addresses: Sequence[str], extra: Sequence[tuple[str, str]]) -> str:
    names = own_names(hostname, domainname)
    lines = [f"{address}\t{name}" for address, name in extra]
    lines += [f"{address}\t{names}" for address in addresses]
    return HOSTS_PREAMBLE + "".join(line + "\n" for line in lines)


def render_host_mode_hosts(host_hosts: str, extra: Sequence[tuple[str, str]]) -> str:
    text = host_hosts if host_hosts.endswith("\n") or not host_hosts else host_hosts + "\n"
    return text + "".join(f"{address}\t{name}\n" for address, name in extra)


def parse_resolv_conf(text: str) -> ResolvConf:
    nameservers, search, options = [], [], []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith(("#", ";")):
            continue
        if fields[0] == "nameserver" and len(fields) > 1:
            nameservers.append(fields[1])
        elif fields[0] in ("search", "domain"):
            search = fields[1:]  # the last search or domain line wins, as in resolv.conf(5)
        elif fields[0] == "options":
            options += fields[1:]
    return ResolvConf(tuple(nameservers), tuple(search), tuple(options))


def _is_loopback(server: str) -> bool:
    try:
        return ipaddress.ip_address(server.split("%")[0]).is_loopback
    except ValueError:
        return True  # unparsable: as unusable from a container as a loopback one


def daemon_upstreams(config: NetworkConfig) -> tuple[tuple[str, int], ...]:
    """Where the embedded DNS sends what it does not know for a container without --dns: the --dns-upstream
    servers, or without the flag, as Docker, the host's nameservers, read at the daemon's start. Their IPv4 ones
    (the forwarding sockets are IPv4), loopback ones included: these are asked from the host's namespace, where a
    local resolver (127.0.0.53) answers."""
    if config.dns_upstreams is not None:
        return tuple(parse_upstream(server) for server in config.dns_upstreams)
    return ipv4_nameservers(parse_resolv_conf(read_text_or_empty(config.host_resolv_conf)).nameservers)


def container_resolv_conf(
    host: ResolvConf,
    embedded_dns: bool,
    dns: Sequence[str] = (),
    dns_search: Sequence[str] = (),
    dns_options: Sequence[str] = (),
) -> ResolvConf:
    """Docker's choice: the embedded DNS on user-defined networks (which forwards to --dns, so those servers
    are not listed); otherwise --dns, or the host's servers minus loopback ones (unreachable from a container).
    Unlike Docker, no public fallback servers are added when none remain: a container then resolves only what
    its hosts file says."""
    search = tuple(dns_search) or host.search
    options = tuple(dns_options) or host.options
    if embedded_dns:
        if not any(o.startswith("ndots:") for o in options):
            options = (*options, "ndots:0")
        return ResolvConf((DNS_ADDRESS,), search, options)
    servers = tuple(dns) or tuple(s for s in host.nameservers if not _is_loopback(s))
    return ResolvConf(servers, search, options)


def render_resolv_conf(conf: ResolvConf) -> str:
    lines = ["# Generated by porthole."]
    lines += [f"nameserver {server}" for server in conf.nameservers]
    if conf.search:
        lines.append("search " + " ".join(conf.search))
    if conf.options:
        lines.append("options " + " ".join(conf.options))
    return "\n".join(lines) + "\n"


def write_in_place(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def read_text_or_empty(path: Path) -> str:
    """The host's file, or "" if it has none (a minimal host without /etc/resolv.conf)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def write_container_files(record: ContainerRecord, config: NetworkConfig, host_gateway: str, embedded: bool) -> None:
    """hosts, resolv.conf and hostname in the container's directory; embedded: it has the embedded DNS."""
    if record.mode == MODE_CONTAINER:
        return
    directory = Path(record.container_dir)
    extra = parse_extra_hosts(record.extra_hosts, host_gateway)
    host_resolv = read_text_or_empty(config.host_resolv_conf)
    if record.mode == MODE_HOST:
        hosts = render_host_mode_hosts(read_text_or_empty(config.host_hosts), extra)
        resolv = host_resolv
    else:
        addresses = [e.ip for e in record.endpoints if e.ip and not e.gateway_only]
        hosts = render_hosts(record.hostname, record.domainname, addresses, extra)
        conf = container_resolv_conf(
            parse_resolv_conf(host_resolv), embedded, record.dns, record.dns_search, record.dns_options
        )
        resolv = render_resolv_conf(conf)
    write_in_place(directory / "hosts", hosts)
    write_in_place(directory / "resolv.conf", resolv)
    write_in_place(directory / "hostname", record.hostname + "\n")
