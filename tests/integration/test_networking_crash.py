"""A daemon killed in the middle of a network connect or disconnect (at the crash point right after the veth is
made or deleted, before the container's record is written) comes back with records that agree with the
kernel: no veth on its bridges that no container holds, no endpoint whose veth is gone."""

import pytest
import requests

from tests.support.crashingdaemon import CrashingDaemon
from tests.support.daemon import running
from tests.support.invariants import SYS_NET, reported, veth_violations

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    with running(CrashingDaemon(tmp_path_factory.mktemp("porthole")), busybox_rootfs) as d:
        yield d


def _crash_during(ph, step: str, request) -> None:
    ph.arm(1, only=f"after runtime.network.links.{step}")
    with pytest.raises(requests.ConnectionError):
        request()
    ph.process.wait(timeout=30)
    assert ph.crashes()[f"after runtime.network.links.{step}"] >= 1
    ph.restart()


def test_a_connect_cut_short_leaves_no_veth_behind(ph, client):
    client.networks.create("side")
    container = client.containers.run("busybox", ["sleep", "600"], detach=True)
    _crash_during(ph, "add_veth", lambda: client.api.connect_container_to_network(container.id, "side"))
    api = ph.client().api
    assert veth_violations(api, ph, reported(api)) == []
    networks = api.inspect_container(container.id)["NetworkSettings"]["Networks"]
    assert list(networks) == ["bridge"]  # the connect never answered: it did not happen
    api.connect_container_to_network(container.id, "side")  # and it can be done again
    assert veth_violations(api, ph, reported(api)) == []


def test_a_disconnect_cut_short_is_done_after_the_restart(ph, client):
    client.networks.create("side")
    container = client.containers.run("busybox", ["sleep", "600"], detach=True, network="side")
    client.networks.get("bridge").connect(container)
    _crash_during(ph, "delete_link", lambda: client.api.disconnect_container_from_network(container.id, "side"))
    api = ph.client().api
    assert veth_violations(api, ph, reported(api)) == []
    networks = api.inspect_container(container.id)["NetworkSettings"]["Networks"]
    assert list(networks) == ["bridge"]  # its veth was gone: the disconnect happened
    assert api.inspect_network("side")["Containers"] == {}


def _bridge_links() -> set[str]:
    return {link.name for link in SYS_NET.iterdir() if link.name.startswith("br-") and (link / "bridge").is_dir()}


def test_a_network_create_cut_short_leaves_no_bridge_that_no_network_holds(ph, client):
    before = _bridge_links()
    _crash_during(ph, "ensure_bridge", lambda: client.networks.create("cut"))
    api = ph.client().api
    made = _bridge_links() - before
    held = {f"br-{network['Id'][:12]}": network["Name"] for network in api.networks()}
    assert made <= set(held)  # the create never answered; what it made belongs to a network the daemon knows
    for name in made:
        api.remove_network(held[name])
    assert _bridge_links() == before  # and removing that network takes its bridge
