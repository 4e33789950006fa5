"""A release that never reached the disk (a full disk refused it, DeferredWork kept it, and the daemon was killed
before space returned; or the daemon was killed between the container's removal and the release's record): the
next start rebuilds what is held from the containers that exist. A removed container's hold on its image's
layers must not keep them after the image goes; its address must not stay taken from a network that has no
other. The crash lands exactly there through a crash point (tests/support/crashinjection.py): a full disk's
refusal cannot be placed between two writes of one request (the removal itself frees blocks)."""

import pytest
import requests

from tests.support.crashingdaemon import CrashingDaemon
from tests.support.daemon import running

pytestmark = pytest.mark.root

SUBNET = "172.30.18.0/30"  # one address for containers: .2 (.1 is the gateway)


@pytest.fixture
def ph(tmp_path_factory, busybox_rootfs):
    with running(CrashingDaemon(tmp_path_factory.mktemp("porthole")), busybox_rootfs) as d:
        yield d


def _docker(ph: CrashingDaemon, *args: str) -> str:
    return ph.docker(*args, check=True).stdout.decode().strip()


def _removed_then_killed_at(ph: CrashingDaemon, cid: str, point: str) -> None:
    ph.arm(1, only=point)
    with pytest.raises(requests.ConnectionError):
        ph.client().api.remove_container(cid, force=True)
    ph.process.wait(timeout=30)
    assert ph.crashes()[point] == 1
    ph.restart()


def test_a_lost_release_of_layers_does_not_keep_them_after_their_image_goes(ph):
    maker = _docker(ph, "run", "-d", "busybox", "sh", "-c", "echo held > /held; sleep 600")
    _docker(ph, "commit", maker, "heldimage")
    _docker(ph, "rm", "-f", maker)
    layer = _docker(ph, "image", "inspect", "-f", "{{index .RootFS.Layers 1}}", "heldimage")
    layer_dir = ph.data_root / "layers" / "sha256" / layer.removeprefix("sha256:")
    holder = _docker(ph, "run", "-d", "heldimage", "sleep", "600")
    _removed_then_killed_at(ph, holder, "before runtime.images.imageindex.ImageIndex.set_hold")
    assert ph.docker("inspect", holder).returncode != 0  # the removal happened; its release did not
    _docker(ph, "rmi", "heldimage")
    assert not layer_dir.exists(), "the layer of a removed image is kept for a container that is gone"


@pytest.mark.parametrize("step", ["before", "after"])
def test_a_lost_release_of_an_address_does_not_keep_it_taken(ph, step):
    _docker(ph, "network", "create", "--subnet", SUBNET, "oneaddress")
    first = _docker(ph, "run", "-d", "--network", "oneaddress", "-p", "80", "busybox", "sleep", "600")
    _removed_then_killed_at(ph, first, f"{step} runtime.atomicfile.write_bytes_atomic")
    second = _docker(ph, "run", "-d", "--network", "oneaddress", "-p", "80", "busybox", "sleep", "600")
    ip = _docker(ph, "inspect", "-f", "{{.NetworkSettings.Networks.oneaddress.IPAddress}}", second)
    assert ip == "172.30.18.2"
    _docker(ph, "rm", "-f", second)
    _docker(ph, "network", "rm", "oneaddress")


def test_a_create_cut_short_leaves_no_endpoint_and_no_hold(ph):
    _docker(ph, "network", "create", "--subnet", SUBNET, "oneaddress")
    point = "before runtime.images.imageindex.ImageIndex.set_hold"  # its network recorded, it not yet
    ph.arm(1, only=point)
    with pytest.raises(requests.ConnectionError):
        api = ph.client().api
        api.create_container("busybox", ["sleep", "600"], host_config=api.create_host_config(network_mode="oneaddress"))
    ph.process.wait(timeout=30)
    ph.restart()
    assert _docker(ph, "ps", "-aq") == ""
    second = _docker(ph, "run", "-d", "--network", "oneaddress", "busybox", "sleep", "600")
    assert _docker(ph, "inspect", "-f", "{{.NetworkSettings.Networks.oneaddress.IPAddress}}", second) == "172.30.18.2"
    _docker(ph, "rm", "-f", second)
    _docker(ph, "network", "rm", "oneaddress")
    assert ph.docker("network", "inspect", "oneaddress").returncode != 0
