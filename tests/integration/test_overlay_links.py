"""An overlay's kernel objects on one host (runtime/network/overlay_links.py), made in a network namespace of the
test's own that stands for the host's: nothing here touches the machine's links."""

import ipaddress
import secrets
import socket
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from common.rfc3339 import now
from runtime.network.netns import create_netns, netlink_in, remove_netns, run_in_netns
from runtime.network.overlay_links import (
    VXLAN_PORT,
    add_overlay_link,
    bridge_name,
    delete_overlay,
    ensure_overlay,
    overlay_netns,
    vxlan_name,
)
from runtime.network.records import NetworkRecord

pytestmark = pytest.mark.root

VTEP = "10.203.0.1"  # the host's underlay address, only named: no frame is sent


def _links(ipr: IPRoute) -> dict[str, str | None]:
    """name -> kind of every link the netlink socket's namespace has."""
    return {link.get_attr("IFLA_IFNAME"): link.get(("linkinfo", "kind")) for link in ipr.get_links()}


def test_an_overlay_an_earlier_porthole_made_in_the_hosts_namespace_is_made_anew_in_its_own(tmp_path: Path):
    """Upgrading over the layout before overlays had namespaces: the network's bridge and VXLAN device in the
    host's namespace (the device holding the network's VXLAN id on the VXLAN port) go, and the overlay is made in
    its namespace: the device alone, the containers' macvlans will be made on it."""
    network = NetworkRecord(
        id=secrets.token_hex(32), name="upgraded", driver="overlay", created=now(), scope="global", vni=4242
    )
    host, overlay = tmp_path / "host", overlay_netns(tmp_path / "netns", network.id)
    create_netns(host)

    def upgrade() -> tuple[bool, dict[str, str | None]]:
        with IPRoute() as ipr:  # what an earlier porthole left
            ipr.link("add", ifname=bridge_name(network.id), kind="bridge")
            ipr.link(
                "add",
                ifname=vxlan_name(network.id),
                kind="vxlan",
                vxlan_id=network.vni,
                vxlan_local=VTEP,
                vxlan_port=VXLAN_PORT,
            )
        made = ensure_overlay(network, VTEP, overlay)
        with IPRoute() as ipr:
            return made, _links(ipr)

    try:
        made, left_on_host = run_in_netns(host, upgrade)
        assert made
        assert left_on_host == {"lo": None}
        with netlink_in(overlay) as ns:
            in_overlay = _links(ns)
        assert in_overlay == {"lo": None, vxlan_name(network.id): "vxlan"}
    finally:
        delete_overlay(overlay)
        remove_netns(host)


def _overlay(name: str) -> NetworkRecord:
    return NetworkRecord(
        id=secrets.token_hex(32), name=name, driver="overlay", created=now(), scope="global", vni=4243, mtu=1450
    )


def _link_in(netns: Path, ifname: str) -> tuple[str | None, str | None, str | None, list[str]]:
    """(kind, MAC, state, IPv4 addresses) of a link in a namespace."""
    with netlink_in(netns) as ns:
        found = ns.link_lookup(ifname=ifname)
        if not found:
            return None, None, None, []
        link = ns.get_links(found[0])[0]
        addresses = [
            f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}" for a in ns.get_addr(index=found[0], family=socket.AF_INET)
        ]
        kind = link.get(("linkinfo", "kind"))
        return kind, link.get_attr("IFLA_ADDRESS"), link.get_attr("IFLA_OPERSTATE"), addresses


def test_an_endpoint_on_an_overlay_is_a_macvlan_of_its_vxlan_device(tmp_path: Path):
    network = _overlay("macvlans")
    host, container, overlay = tmp_path / "host", tmp_path / "container", overlay_netns(tmp_path / "netns", network.id)
    create_netns(host)
    create_netns(container)
    addresses = [ipaddress.IPv4Interface("10.77.0.2/24"), ipaddress.IPv4Interface("169.254.7.7/16")]
    try:
        made = run_in_netns(
            host,
            lambda: (
                ensure_overlay(network, VTEP, overlay)
                and add_overlay_link(network, overlay, container, "eth0", "02:42:0a:4d:00:02", addresses)
            ),
        )
        assert made
        kind, mac, _, shown = _link_in(container, "eth0")
        assert (kind, mac, shown) == ("macvlan", "02:42:0a:4d:00:02", ["10.77.0.2/24", "169.254.7.7/16"])
        with netlink_in(container) as ns:
            link = ns.get_links(ns.link_lookup(ifname="eth0")[0])[0]
            assert link.get_attr("IFLA_MTU") == 1450
            assert link.get(("linkinfo", "data", "IFLA_MACVLAN_MODE")) == "bridge"
    finally:
        delete_overlay(overlay)
        remove_netns(container)
        remove_netns(host)


def test_an_overlay_an_earlier_porthole_made_with_a_bridge_takes_no_macvlan(tmp_path: Path):
    """Its device is the bridge's port: add_overlay_link makes nothing and says so (the endpoint takes a veth on
    that bridge, as before)."""
    network = _overlay("bridged")
    host, container, overlay = tmp_path / "host", tmp_path / "container", overlay_netns(tmp_path / "netns", network.id)
    create_netns(host)
    create_netns(container)

    def bridged_then_link() -> bool:
        ensure_overlay(network, VTEP, overlay)
        with netlink_in(overlay) as ns:  # the layout before macvlans: the device on a bridge
            ns.link("add", ifname=bridge_name(network.id), kind="bridge")
            ns.link("set", index=ns.link_lookup(ifname=vxlan_name(network.id))[0],
                    master=ns.link_lookup(ifname=bridge_name(network.id))[0])  # fmt: skip
        return add_overlay_link(network, overlay, container, "eth0", "02:42:0a:4d:00:03", [])

    try:
        assert run_in_netns(host, bridged_then_link) is False
        assert _link_in(container, "eth0") == (None, None, None, [])
    finally:
        delete_overlay(overlay)
        remove_netns(container)
        remove_netns(host)
