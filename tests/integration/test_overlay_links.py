"""An overlay's kernel objects on one host (runtime/network/overlay_links.py), made in a network namespace of the
test's own that stands for the host's: nothing here touches the machine's links."""

import secrets
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from common.rfc3339 import now
from runtime.network.netns import create_netns, netlink_in, remove_netns, run_in_netns
from runtime.network.overlay_links import (
    VXLAN_PORT,
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
    its namespace, where the containers' veths will be plugged."""
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
        assert in_overlay[bridge_name(network.id)] == "bridge"
        assert in_overlay[vxlan_name(network.id)] == "vxlan"
    finally:
        delete_overlay(overlay)
        remove_netns(host)
