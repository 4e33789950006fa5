"""An overlay network's kernel objects on one host (pyroute2): a bridge without an address (the host never
routes into an overlay, so overlays stay apart) with one VXLAN device on it, and on that device a forwarding
entry (MAC -> the remote host's address) and a neighbour entry (IP -> MAC, answered by the device itself: the
`proxy` flag) for every endpoint other hosts have. Learning is off and there is no default destination: a frame
for an unknown MAC is dropped rather than flooded, and no multicast group is joined.
"""

import errno
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import ndmsg

from runtime.errors import HostError
from runtime.network.links import delete_link, disable_ipv6
from runtime.network.records import NetworkRecord

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


def _index(ipr: IPRoute, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return found[0] if found else None


def ensure_overlay(network: NetworkRecord, vtep: str) -> bool:
    """The network's bridge and VXLAN device, up (made once; a restarted daemon finds them). True if made."""
    bridge, vxlan = bridge_name(network.id), vxlan_name(network.id)
    with IPRoute() as ipr:
        if _index(ipr, vxlan) is not None:
            return False
        try:
            if _index(ipr, bridge) is None:
                # no iptables for frames inside an overlay: no rule of ours is about them (overlays are apart by
                # construction) and br_netfilter's conntrack per frame cost ~20% of the throughput
                ipr.link("add", ifname=bridge, kind="bridge", mtu=network.mtu, br_nf_call_iptables=0)
                disable_ipv6(bridge)
            bridge_index = _index(ipr, bridge)
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
            )
            vxlan_index = _index(ipr, vxlan)
            disable_ipv6(vxlan)
            ipr.link("set", index=vxlan_index, master=bridge_index, state="up")
            ipr.link("set", index=bridge_index, state="up")
        except NetlinkError as exc:
            delete_overlay(network)
            raise HostError(f"network: overlay {network.name} (VXLAN id {network.vni}): {exc.args[-1]}") from exc
    return True


def delete_overlay(network: NetworkRecord) -> None:
    delete_link(vxlan_name(network.id))
    delete_link(bridge_name(network.id))


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


def program_peers(network: NetworkRecord, peers: Iterable[Peer]) -> None:
    """Make the device's entries exactly the peers' (what changed is added or deleted, nothing else)."""
    with IPRoute() as ipr:
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
