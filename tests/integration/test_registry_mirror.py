"""`porthole daemon --registry-mirror`: Debian's docker-registry on loopback stands in for Docker Hub. A pull of a
docker.io name asks the mirrors in order (a dead one first: the next is tried), on the mirror's
`/v2/library/<name>/manifests/<tag>` as Docker asks; `docker info` shows the mirrors. With no mirror holding the
image the pull fails with each mirror's reason, and never leaves the machine: porthole reaches no Docker Hub."""

import io
import json
import os
import tarfile
from pathlib import Path

import docker
import pytest

from tests.support.daemon import TestDaemon, running
from tests.support.registry import free_port, running_registry

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    with running_registry(tmp_path_factory.mktemp("mirror")) as registry:
        yield registry


@pytest.fixture(scope="module")
def dead_mirror() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.fixture(scope="module")
def ph(tmp_path_factory, busybox_rootfs, mirror, dead_mirror):
    flags = ("--registry-mirror", dead_mirror, "--registry-mirror", f"http://{mirror.address}")
    with running(TestDaemon(tmp_path_factory.mktemp("porthole"), extra_args=flags), busybox_rootfs) as daemon:
        yield daemon


def one_layer_tar(path: Path) -> Path:
    with tarfile.open(path, "w") as tar:
        data = os.urandom(50_000)
        member = tarfile.TarInfo("mirrored.bin")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return path


def put_on_the_mirror(ph, mirror, tmp_path: Path, name: str) -> str:
    """A one-layer image pushed as library/<name> on the mirror, gone from the daemon; the pushed digest."""
    on_the_mirror = f"{mirror.address}/library/{name}"
    ph.docker("import", str(one_layer_tar(tmp_path / "layer.tar")), on_the_mirror, check=True)
    pushed = ph.docker("push", on_the_mirror, check=True).stdout.decode()
    ph.docker("rmi", on_the_mirror, check=True)
    return pushed.split("digest: ")[1].split()[0]


def test_a_docker_hub_name_is_pulled_from_the_first_mirror_that_answers(ph, mirror, tmp_path):
    put_on_the_mirror(ph, mirror, tmp_path, "mirrored:1")
    pulled = ph.docker("pull", "mirrored:1", timeout=120)
    assert pulled.returncode == 0, pulled.stderr.decode()
    out = pulled.stdout.decode()
    assert out.count("Pulling from library/mirrored") == 1  # the dead mirror's attempt prints nothing
    assert "Status: Downloaded newer image for mirrored:1" in out
    assert json.loads(ph.docker("image", "inspect", "mirrored:1", check=True).stdout)[0]["RepoTags"] == ["mirrored:1"]
    assert "/v2/library/mirrored/manifests/1" in (mirror.root / "registry.log").read_text()


def test_info_shows_the_mirrors(ph, mirror, dead_mirror):
    expected = [f"{dead_mirror}/", f"http://{mirror.address}/"]
    info = json.loads(ph.docker("info", "--format", "{{json .RegistryConfig}}", check=True).stdout)
    assert info["Mirrors"] == expected and info["IndexConfigs"]["docker.io"]["Mirrors"] == expected
    text = ph.docker("info", check=True).stdout.decode()
    assert f" Registry Mirrors:\n  {expected[0]}\n  {expected[1]}\n" in text


def test_an_image_no_mirror_holds_fails_naming_each_mirror(ph, mirror, dead_mirror):
    failed = ph.docker("pull", "absent:1", timeout=120)
    assert failed.returncode != 0
    message = failed.stderr.decode()
    assert "porthole reaches no Docker Hub here" in message
    assert f"mirror {dead_mirror}/" in message and f"mirror http://{mirror.address}/" in message
    assert "/v2/library/absent/manifests/1" in (mirror.root / "registry.log").read_text()


def test_distribution_inspect_of_a_docker_hub_name_asks_the_mirrors(ph, mirror, dead_mirror, tmp_path):
    digest = put_on_the_mirror(ph, mirror, tmp_path, "inspected:1")
    data = ph.client().images.get_registry_data("inspected:1")
    assert data.id == digest
    assert data.attrs["Descriptor"]["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert "/v2/library/inspected/manifests/1" in (mirror.root / "registry.log").read_text()
    with pytest.raises(docker.errors.NotFound) as absent:
        ph.client().images.get_registry_data("absent:2")
    message = str(absent.value)
    assert f"mirror {dead_mirror}/" in message and f"mirror http://{mirror.address}/" in message
