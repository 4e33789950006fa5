"""An overlay network's kernel objects on one host (pyroute2): a network namespace of the overlay's own holding
its VXLAN device, and on that device a forwarding entry (MAC -> the remote host's address) and a neighbour entry
(IP -> MAC, answered by the device itself: the `proxy` flag) for every endpoint other hosts have. Learning is off
and there is no default destination: a frame for an unknown MAC is dropped rather than flooded, and no multicast
group is joined. The VXLAN device's UDP socket is in the host's namespace (where the device is made), on the
underlay.

Each container's link on the overlay is a macvlan of the VXLAN device (bridge mode), born in the container's
namespace: its frames go from the container's namespace straight into the device, and macvlan itself switches
them between the containers of one host. Docker's overlay driver plugs a veth pair into a bridge beside the device
instead; that topology hand-made, with no porthole and no rule in it, carried 0.79-0.97x the TCP throughput of the
bare VXLAN pair (bench/bench_overlay.py's floor), a macvlan on the device 0.94-1.04x (medians of 9-11 pairs of
1 GiB). An overlay an earlier porthole made (a bridge in the namespace, the device on it) goes on taking veths
until it is made anew.

The namespace is Docker's layout (its 1-<id>) and porthole's before macvlans: a bridge there met no iptables rule,
where br_netfilter had handed every bridged frame in the host's namespace to its conntrack, NAT and FORWARD
chains. A macvlan's frames meet no netfilter hook before they are encapsulated, wherever the device is.
"""

import errno
import ipaddress
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import ndmsg

from runtime.errors import HostError
from runtime.network.links import address_and_bring_up, delete_link, disable_ipv6_for_new_links
from runtime.network.netns import create_netns, netlink_in, remove_netns, run_in_netns
from runtime.network.records import NetworkRecord
from runtime.network.sublinks import remove_sublink

VXLAN_PORT = 4789  # IANA's, as Docker's overlay driver
VXLAN_OVERHEAD = 50  # outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
_AF_INET = 2
_PERMANENT = ndmsg.states["permanent"]


@dataclass(frozen=True, slots=True)
class Peer:
    """A remote endpoint as the kernel needs it."""

    mac: str
    ip: str
    vtep: str


def bridge_name(network_id: str) -> str:
    return f"ov-{network_id[:12]}"


def vxlan_name(network_id: str) -> str:
    return f"vx-{network_id[:12]}"


def overlay_netns(netns_dir: Path, network_id: str) -> Path:
    """The overlay's namespace file, beside the containers' (whose names are 64 hex digits)."""
    return netns_dir / f"ov-{network_id[:12]}"


def _index(ipr: IPRoute, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return found[0] if found else None


def ensure_overlay(network: NetworkRecord, vtep: str, netns: Path) -> bool:
    """The network's namespace at netns with its VXLAN device, up (made once; a restarted daemon finds it). True
    if made."""
    vxlan = vxlan_name(network.id)
    if netns.exists():
        with netlink_in(netns) as ns:
            if _index(ns, vxlan) is not None:
                return False
    remove_netns(netns)  # one left half-made by a crash
    for name in (vxlan, bridge_name(network.id)):  # in the host's namespace, where porthole made them before
        delete_link(name)
    create_netns(netns)
    fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        run_in_netns(netns, disable_ipv6_for_new_links)
        with IPRoute() as ipr, netlink_in(netns) as ns:
            # made from the host's namespace, born in the overlay's: its UDP socket stays on the underlay
            ipr.link(
                "add",
                ifname=vxlan,
                kind="vxlan",
                vxlan_id=network.vni,
                vxlan_local=vtep,
                vxlan_port=VXLAN_PORT,
                vxlan_learning=0,
                vxlan_proxy=1,
                mtu=network.mtu,
                net_ns_fd=fd,
            )
            ns.link("set", index=_index(ns, vxlan), state="up")
    except NetlinkError as exc:
        delete_overlay(netns)
        raise HostError(f"network: overlay {network.name} (VXLAN id {network.vni}): {exc.args[-1]}") from exc
    except HostError:
        delete_overlay(netns)
        raise
    finally:
        os.close(fd)
    return True


def add_overlay_link(
    network: NetworkRecord,
    overlay: Path,
    netns: Path,
    ifname: str,
    mac: str,
    addresses: list[ipaddress.IPv4Interface],
) -> bool:
    """The endpoint's link: a macvlan of the VXLAN device in the overlay's namespace, born in the container's
    namespace as ifname with its MAC, addressed and up. False, with nothing made, on an overlay an earlier porthole
    made: its device is a bridge's port, and a device has one receiver (a bridge or macvlans), so the endpoint
    takes a veth on that bridge instead."""
    fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
    created = False
    try:
        with netlink_in(overlay) as ov:
            device = _index(ov, vxlan_name(network.id))
            if device is None:
                raise HostError(f"network: overlay {network.name}: its VXLAN device is gone")
            link = {"kind": "macvlan", "link": device, "macvlan_mode": "bridge", "address": mac, "mtu": network.mtu}
            try:
                ov.link("add", ifname=ifname, net_ns_fd=fd, **link)
            except NetlinkError as exc:
                if exc.code == errno.EBUSY:
                    return False
                raise
            created = True
        address_and_bring_up(netns, ifname, addresses)
    except NetlinkError as exc:
        if created:
            remove_sublink(netns, ifname)
        raise HostError(f"network: overlay {network.name}: link {ifname} in {netns}: {exc.args[-1]}") from exc
    finally:
        os.close(fd)
    return True


def delete_overlay(netns: Path) -> None:
    """The overlay's namespace and what is in it. The VXLAN device is deleted first, at once: a namespace's
    links go some time after its last reference, and until then the device would hold its VXLAN id."""
    if netns.exists():
        with netlink_in(netns) as ns:
            for link in ns.get_links():
                if link.get(("linkinfo", "kind")) == "vxlan":
                    _ignore_missing(ns.link, "del", index=link["index"])
    remove_netns(netns)


def _programmed(ipr: IPRoute, index: int) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(mac, vtep) forwarding entries and (ip, mac) neighbour entries now on the device."""
    forwarding = {
        (entry.get("NDA_LLADDR"), entry.get("NDA_DST"))
        for entry in ipr.fdb("dump", ifindex=index)
        if entry.get("NDA_DST") and entry["ifindex"] == index
    }
    neighbours = {
        (entry.get("NDA_DST"), entry.get("NDA_LLADDR"))
        for entry in ipr.get_neighbours(family=_AF_INET, ifindex=index)
        if entry.get("NDA_LLADDR")
    }
    return forwarding, neighbours


def program_peers(network: NetworkRecord, netns: Path, peers: Iterable[Peer]) -> None:
    """Make the entries of the device in the overlay's namespace at netns exactly the peers' (what changed is
    added or deleted, nothing else)."""
    if not netns.exists():
        return
    with netlink_in(netns) as ipr:
        index = _index(ipr, vxlan_name(network.id))
        if index is None:
            return
        wanted_fdb = {(p.mac, p.vtep) for p in peers}
        wanted_neigh = {(p.ip, p.mac) for p in peers}
        forwarding, neighbours = _programmed(ipr, index)
        try:
            for mac, vtep in forwarding - wanted_fdb:
                _ignore_missing(ipr.fdb, "del", ifindex=index, lladdr=mac, dst=vtep)
            for ip, mac in neighbours - wanted_neigh:
                _ignore_missing(ipr.neigh, "del", ifindex=index, dst=ip, lladdr=mac)
            for mac, vtep in wanted_fdb - forwarding:
                ipr.fdb("append", ifindex=index, lladdr=mac, dst=vtep)
            for ip, mac in wanted_neigh - neighbours:
                ipr.neigh("replace", ifindex=index, dst=ip, lladdr=mac, state=_PERMANENT)
        except NetlinkError as exc:
            raise HostError(f"network: overlay {network.name}: peer entries: {exc.args[-1]}") from exc


def _ignore_missing(call: Callable[..., object], *args: object, **kwargs: object) -> None:
    """A deletion of what is already gone is done."""
    try:
        call(*args, **kwargs)
    except NetlinkError as exc:
        if exc.code not in (errno.ENOENT, errno.ESRCH):
            raise


def interface_address(name: str) -> str | None:
    """The first IPv4 address of the interface, or None if it has none (or does not exist)."""
    with IPRoute() as ipr:
        index = _index(ipr, name)
        if index is None:
            return None
        addresses = ipr.get_addr(index=index, family=_AF_INET)
        return addresses[0].get("IFA_ADDRESS") if addresses else None
