"""Bridges, veth pairs, addresses and routes through netlink (pyroute2 IPRoute), plus the sysctls they need
and the loopback ioctl."""

import errno
import fcntl
import ipaddress
import os
import socket
import struct
from pathlib import Path

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from runtime.errors import HostError
from runtime.network.netns import netlink_in, run_in_netns

_SYSCTL_ROOT = Path("/proc/sys/net/ipv4")
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1  # <linux/sockios.h>, <net/if.h>
_IFREQ_FLAGS = "16sH14x"  # struct ifreq: the interface name, then ifr_flags in its 24-byte union
_IPV6_CONF = Path("/proc/sys/net/ipv6/conf")


def write_sysctl(relative: str, value: str, root: Path = _SYSCTL_ROOT) -> None:
    path = root / relative
    try:
        path.write_text(value)
    except OSError as exc:
        raise HostError(f"network: sysctl {path}: cannot write {value}: {exc.strerror}") from exc


def enable_ip_forward() -> None:
    """Containers reach beyond their bridge only through the host's routing, as with Docker."""
    write_sysctl("ip_forward", "1")


def disable_ipv6(name: str) -> None:
    """Before a link goes up. porthole's networks are IPv4 only; left on, IPv6 would give every bridge port a
    link-local address a second or two after its container started (after duplicate address detection), and
    whatever watches the host's addresses would take each for a network change (Chromium drops its requests
    in flight with ERR_NETWORK_CHANGED)."""
    if _IPV6_CONF.is_dir():  # a kernel without IPv6 has nothing to turn off
        write_sysctl(f"{name}/disable_ipv6", "1", root=_IPV6_CONF)


def disable_ipv6_for_new_links() -> None:
    """In the calling thread's namespace: IPv6 off for every link made there from now on (see disable_ipv6)."""
    if _IPV6_CONF.is_dir():
        write_sysctl("default/disable_ipv6", "1", root=_IPV6_CONF)


def _index(ipr: IPRoute, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return found[0] if found else None


class LinkNameTaken(HostError):
    """A link of that name exists already."""


def link_exists(name: str, netns: Path | None = None) -> bool:
    """Whether the namespace at netns (the host's if None) has a link of that name."""
    with netlink_in(netns) as ipr:
        return _index(ipr, name) is not None


def plugged_into(bridges: set[str]) -> list[str]:
    """The names of the links whose master is one of `bridges` (the host ends of containers' veths)."""
    with IPRoute() as ipr:
        links = ipr.get_links()
        masters = {link["index"] for link in links if link.get_attr("IFLA_IFNAME") in bridges}
        return [link.get_attr("IFLA_IFNAME") for link in links if link.get_attr("IFLA_MASTER") in masters]


def ensure_bridge(name: str, address: ipaddress.IPv4Interface, mtu: int) -> bool:
    """The bridge up with the gateway address; True if we created it. route_localnet lets the OUTPUT DNAT
    of a published port send 127.0.0.1-sourced packets out of the bridge (masqueraded on the way)."""
    with IPRoute() as ipr:
        index = _index(ipr, name)
        created = index is None
        try:
            if created:
                ipr.link("add", ifname=name, kind="bridge", mtu=mtu)
                index = _index(ipr, name)
                disable_ipv6(name)
            else:
                kind = ipr.get_links(index)[0].get(("linkinfo", "kind"))
                if kind != "bridge":
                    raise HostError(f"network: bridge {name}: a {kind or 'non-bridge'} link already has the name")
            present = {(a.get("address"), a["prefixlen"]) for a in ipr.get_addr(index=index, family=2)}
            if (str(address.ip), address.network.prefixlen) not in present:
                ipr.addr("add", index=index, address=str(address.ip), prefixlen=address.network.prefixlen)
            ipr.link("set", index=index, state="up")
        except NetlinkError as exc:
            if created:
                delete_link(name)
            raise HostError(f"network: bridge {name}: {exc.args[-1]}") from exc
        except HostError:
            if created:
                delete_link(name)
            raise
    write_sysctl(f"conf/{name}/route_localnet", "1")
    return created


def delete_link(name: str, netns: Path | None = None) -> None:
    """Delete a link by name from the namespace at netns (the host's if None; a veth's peer goes with it); a
    missing link is fine."""
    with netlink_in(netns) as ipr:
        index = _index(ipr, name)
        if index is None:
            return
        try:
            ipr.link("del", index=index)
        except NetlinkError as exc:
            if exc.code != errno.ENODEV:
                raise HostError(f"network: link {name}: cannot delete: {exc.args[-1]}") from exc


def host_routes() -> list[ipaddress.IPv4Network]:
    """Networks the host already routes (default route excluded): new subnets must avoid them."""
    with IPRoute() as ipr:
        routes = ipr.get_routes(family=2, table=254)
    return [
        ipaddress.IPv4Network(f"{r.get('dst')}/{r['dst_len']}", strict=False)
        for r in routes
        if r["dst_len"] > 0 and r.get("dst")
    ]


def add_veth(
    bridge: str,
    host_ifname: str,
    netns: Path,
    ifname: str,
    mac: str,
    addresses: list[ipaddress.IPv4Interface],
    mtu: int,
    bridge_netns: Path | None = None,
) -> None:
    """A veth pair made in one request (host end up on the bridge, in bridge_netns: the host's if None, an
    overlay's namespace otherwise; peer born inside the namespace as ifname with its MAC and MTU), then hairpin
    on the host end (for a container reaching itself through a published port) and the addresses on the peer
    (the endpoint's, then its link-local ones), up. LinkNameTaken if host_ifname is another link's (that one is
    left alone; the caller tries another name): no lookup beforehand, which cost a netlink session per
    endpoint."""
    fd = None
    created = False
    try:
        with netlink_in(bridge_netns) as ipr:
            bridge_index = _index(ipr, bridge)
            if bridge_index is None:
                raise HostError(f"network: bridge {bridge}: does not exist")
            fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
            peer = {"ifname": ifname, "net_ns_fd": fd, "address": mac, "mtu": mtu}
            ipr.link("add", ifname=host_ifname, kind="veth", mtu=mtu, master=bridge_index, peer=peer)
            created = True
            host_index = _index(ipr, host_ifname)
            if bridge_netns is None:  # an overlay's namespace has IPv6 off for every link born in it
                disable_ipv6(host_ifname)
            ipr.link("set", index=host_index, state="up")
            ipr.brport("set", index=host_index, mode=1)
        address_and_bring_up(netns, ifname, addresses)
    except NetlinkError as exc:
        if created:
            delete_link(host_ifname, bridge_netns)
        elif exc.code == errno.EEXIST:
            raise LinkNameTaken(f"network: veth {host_ifname}: the name is taken") from exc
        raise HostError(f"network: veth {host_ifname} ({ifname} in {netns}): {exc.args[-1]}") from exc
    except HostError:
        if created:
            delete_link(host_ifname, bridge_netns)
        raise
    finally:
        if fd is not None:
            os.close(fd)


def address_and_bring_up(netns: Path, ifname: str, addresses: list[ipaddress.IPv4Interface]) -> None:
    """An endpoint's link, just born in the container's namespace: its addresses, in order, then up."""
    with netlink_in(netns) as ns:
        index = _index(ns, ifname)
        for address in addresses:
            ns.addr("add", index=index, address=str(address.ip), prefixlen=address.network.prefixlen)
        ns.link("set", index=index, state="up")


def bring_up_loopback(netns: Path) -> None:
    """Two ioctls, as ifconfig does it: 0.3 ms, where a pyroute2 session in the namespace takes 2.6 ms of
    every start that makes a namespace."""

    def set_up() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack(_IFREQ_FLAGS, b"lo", 0)
            flags = struct.unpack(_IFREQ_FLAGS, fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack(_IFREQ_FLAGS, b"lo", flags | _IFF_UP))

    try:
        run_in_netns(netns, set_up)
    except OSError as exc:
        raise HostError(f"network: lo in {netns}: cannot bring it up: {exc.strerror}") from exc


def set_default_route(netns: Path, gateway: ipaddress.IPv4Address | None) -> None:
    """Point the namespace's default route at gateway, or remove it (None: internal networks only)."""
    with netlink_in(netns) as ns:
        try:
            if gateway is None:
                ns.route("del", dst="0.0.0.0/0")
            else:
                ns.route("replace", dst="0.0.0.0/0", gateway=str(gateway))
        except NetlinkError as exc:
            if not (gateway is None and exc.code == errno.ESRCH):
                raise HostError(f"network: default route via {gateway} in {netns}: {exc.args[-1]}") from exc
