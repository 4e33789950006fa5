"""macvlan and ipvlan networks (pyroute2): each endpoint is a link of the network's parent interface, made
straight inside the container's namespace, so the container sits on the parent's segment with no bridge and no
NAT in between. A parent written `eth0.10` is an 802.1Q sub-interface, made when the network is and removed with
it. As the kernel has it, a macvlan or ipvlan endpoint cannot talk to its own parent's address (the host), and a
macvlan in private mode not to its siblings either; vepa sends everything out to the switch, passthru allows one
endpoint per parent.
"""

import errno
import ipaddress
import os
import secrets
from pathlib import Path

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from common import rfc3339
from runtime.errors import HostError, InvalidParameter
from runtime.network.create_options import NetworkCreateOptions
from runtime.network.links import address_and_bring_up
from runtime.network.netns import netlink_in
from runtime.network.records import NetworkRecord

_IPVLAN_MODES = {"l2": 0, "l3": 1}  # IPVLAN_MODE_L2, IPVLAN_MODE_L3 (<linux/if_link.h>)


def _index(ipr: IPRoute, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return found[0] if found else None


def ensure_parent(parent: str) -> bool:
    """The parent link, up; an absent `base.vid` is made as an 802.1Q sub-interface. True if made here."""
    base, dot, vlan = parent.rpartition(".")
    with IPRoute() as ipr:
        index = _index(ipr, parent)
        if index is not None:
            return False
        base_index = _index(ipr, base) if dot else None
        if base_index is None:
            raise InvalidParameter(f"network: option parent {parent}: no such interface on this host")
        try:
            ipr.link("add", ifname=parent, kind="vlan", link=base_index, vlan_id=int(vlan))
            ipr.link("set", index=_index(ipr, parent), state="up")
        except NetlinkError as exc:
            if exc.code == errno.EOPNOTSUPP:
                raise HostError(
                    f"network: 802.1Q interface {parent}: this kernel has no 802.1Q (VLAN) support"
                ) from exc
            raise HostError(f"network: 802.1Q interface {parent}: {exc.args[-1]}") from exc
    return True


def check_kernel_support(driver: str, parent: str) -> None:
    """Make and delete a link of the driver's kind on the parent, so that a kernel without it (macvlan and
    ipvlan are modules, often built without) is told at create, not at each container's start."""
    probe = "phprobe" + secrets.token_hex(4)
    with IPRoute() as ipr:
        try:
            ipr.link("add", ifname=probe, kind=driver, link=_index(ipr, parent))
        except NetlinkError as exc:
            if exc.code == errno.EOPNOTSUPP:
                raise HostError(f"network: driver {driver}: this kernel has no {driver} support") from exc
            raise HostError(f"network: driver {driver} on {parent}: {exc.args[-1]}") from exc
        ipr.link("del", index=_index(ipr, probe))


def delete_parent(network: NetworkRecord) -> None:
    """The 802.1Q sub-interface made for the network, if it was."""
    if not network.parent_created:
        return
    with IPRoute() as ipr:
        index = _index(ipr, network.parent)
        if index is not None:
            ipr.link("del", index=index)


def sublink_record(options: NetworkCreateOptions, subnet: ipaddress.IPv4Network, network_id: str, mtu: int):
    return NetworkRecord(
        id=network_id,
        name=options.name,
        driver=options.driver,
        created=rfc3339.now(),
        subnet=str(subnet),
        gateway=str(options.gateway or subnet.network_address + 1),
        ip_range=str(options.ip_range) if options.ip_range else None,
        user_subnet=options.subnet is not None,
        internal=options.internal,
        attachable=options.attachable,
        mtu=options.mtu or mtu,
        options=options.options,
        labels=options.labels,
        aux_addresses=options.aux_addresses,
        parent=options.parent,
        mode=options.mode,
    )


def add_sublink(network: NetworkRecord, netns: Path, ifname: str, mac: str, address: ipaddress.IPv4Interface) -> None:
    """The endpoint's link, born in the namespace as ifname, addressed and up. ipvlan links share the parent's
    MAC, so mac applies to macvlan only."""
    kind = {"kind": network.driver, "link": None}
    if network.driver == "macvlan":
        kind.update(macvlan_mode=network.mode, address=mac)
    else:
        kind.update(ipvlan_mode=_IPVLAN_MODES[network.mode])
    fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with IPRoute() as ipr:
            parent = _index(ipr, network.parent)
            if parent is None:
                raise HostError(f"network: {network.name}: parent interface {network.parent} is gone")
            kind["link"] = parent
            ipr.link("add", ifname=ifname, net_ns_fd=fd, mtu=network.mtu, **kind)
        address_and_bring_up(netns, ifname, [address])
    except NetlinkError as exc:
        remove_sublink(netns, ifname)
        raise HostError(f"network: {network.driver} {ifname} on {network.parent} ({netns}): {exc.args[-1]}") from exc
    finally:
        os.close(fd)


def remove_sublink(netns: Path, ifname: str) -> None:
    """Delete the endpoint's link inside the namespace (a disconnect); gone already is fine."""
    with netlink_in(netns) as ns:
        index = _index(ns, ifname)
        if index is None:
            return
        try:
            ns.link("del", index=index)
        except NetlinkError as exc:
            if exc.code != errno.ENODEV:
                raise HostError(f"network: link {ifname} in {netns}: cannot delete: {exc.args[-1]}") from exc
