"""Images over the Engine API, with the docker CLI and docker-py: import (file and stdin, with --change),
save | load round trips, docker-save and OCI layout tars, images, inspect, history, tag, rmi and its 409."""

import io
import platform
import subprocess
import tarfile

import docker
import pytest

from tests.support import imagetars as tars

pytestmark = pytest.mark.root

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def _out(result) -> bytes:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _busybox_layer(busybox_rootfs) -> bytes:
    with open(busybox_rootfs, "rb") as f:
        return f.read()


@pytest.fixture
def cleanup_images(ph, client):
    """Removes, after the test, its containers and every image and tag but busybox:latest."""
    yield
    ph.remove_everything()
    for image in client.images.list():
        if "busybox:latest" not in image.tags:
            client.images.remove(image.id, force=True)
            continue
        for tag in image.tags:
            if tag != "busybox:latest":
                client.images.remove(tag)


def test_import_from_stdin_with_changes(ph, client, busybox_rootfs, cleanup_images):
    with open(busybox_rootfs, "rb") as f:
        data = f.read()
    out = _out(
        ph.docker(
            "import",
            "-c",
            "ENV GREETING=hi",
            "-c",
            "WORKDIR /srv",
            "-c",
            'CMD ["sh", "-c", "echo $GREETING from $(pwd)"]',
            "-c",
            "LABEL stage=test",
            "-c",
            "EXPOSE 8080",
            "-c",
            "USER nobody",
            "-m",
            "made by a test",
            "-",
            "changed:v1",
            input=data,
        )
    )
    image_id = out.decode().strip()
    assert image_id.startswith("sha256:")
    image = client.images.get("changed:v1")
    assert image.id == image_id
    config = image.attrs["Config"]
    assert "GREETING=hi" in config["Env"]
    assert config["WorkingDir"] == "/srv"
    assert config["Labels"] == {"stage": "test"}
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["User"] == "nobody"
    assert _out(ph.docker("run", "--rm", "changed:v1")) == b"hi from /srv\n"
    assert _out(ph.docker("run", "--rm", "changed:v1", "id", "-u")) == b"65534\n"
    container = client.api.inspect_container(client.containers.create("changed:v1").id)["Config"]
    assert container["ExposedPorts"] == {"8080/tcp": {}}
    assert container["Labels"] == {"stage": "test"}
    assert (container["User"], container["WorkingDir"]) == ("nobody", "/srv")
    history = client.api.history("changed:v1")
    assert history[0]["Comment"] == "made by a test"


def test_docker_py_import_image_from_a_file(client, busybox_rootfs, cleanup_images):
    client.api.import_image(src=str(busybox_rootfs), repository="pyimported", tag="t1")
    assert "pyimported:t1" in client.images.get("pyimported:t1").tags


def test_entrypoint_of_the_image_takes_the_run_args(ph, busybox_rootfs, cleanup_images):
    _out(
        ph.docker(
            "import", "-c", 'ENTRYPOINT ["echo", "prefix"]', "-c", 'CMD ["default"]', str(busybox_rootfs), "ep:latest"
        )
    )
    assert _out(ph.docker("run", "--rm", "ep")) == b"prefix default\n"
    assert _out(ph.docker("run", "--rm", "ep", "given")) == b"prefix given\n"


def test_images_lists_tags_ids_and_sizes(ph, client):
    rows = _out(ph.docker("images", "--format", "{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}")).decode().split("\n")
    busybox = next(r.split() for r in rows if r.startswith("busybox "))
    assert busybox[1] == "latest"
    assert client.images.get("busybox").id.startswith("sha256:" + busybox[2])
    assert busybox[3].endswith("MB")


def test_image_inspect_fields(ph, client):
    attrs = client.api.inspect_image("busybox")
    assert attrs["Id"].startswith("sha256:") and len(attrs["Id"]) == 71
    assert attrs["RepoTags"] == ["busybox:latest"]
    assert attrs["Os"] == "linux"
    assert attrs["Architecture"] == ARCH
    assert attrs["RootFS"]["Type"] == "layers"
    assert len(attrs["RootFS"]["Layers"]) == 1
    assert attrs["Size"] > 1_000_000
    assert _out(ph.docker("image", "inspect", "-f", "{{.Id}}", "busybox")).decode().strip() == attrs["Id"]


def test_history_of_an_imported_image(ph):
    rows = _out(ph.docker("history", "--no-trunc", "--format", "{{.ID}} {{.Size}}", "busybox")).decode().splitlines()
    assert len(rows) == 1
    assert rows[0].startswith("sha256:")


def test_tag_and_untag(ph, client, cleanup_images):
    _out(ph.docker("tag", "busybox", "mybox:v1"))
    client.images.get("busybox").tag("pybox", "v2")
    tags = set(client.images.get("busybox").tags)
    assert tags == {"busybox:latest", "mybox:v1", "pybox:v2"}
    out = _out(ph.docker("rmi", "mybox:v1"))
    assert out == b"Untagged: mybox:v1\n"
    assert set(client.images.get("busybox").tags) == {"busybox:latest", "pybox:v2"}


def test_save_then_load_round_trip(ph, client, cleanup_images, tmp_path):
    _out(ph.docker("tag", "busybox", "roundtrip:1"))
    original = client.api.inspect_image("roundtrip:1")
    saved = _out(ph.docker("save", "roundtrip:1"))
    assert tarfile.open(fileobj=io.BytesIO(saved)).getmember("manifest.json")
    _out(ph.docker("rmi", "roundtrip:1"))
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("roundtrip:1")
    out = _out(ph.docker("load", input=saved))
    assert b"Loaded image: roundtrip:1" in out
    assert client.api.inspect_image("roundtrip:1")["Id"] == original["Id"]


def test_save_pipe_to_load(ph, client, cleanup_images):
    """`docker save | docker load`, two CLI processes joined by a pipe."""
    _out(ph.docker("tag", "busybox", "piped:1"))
    original = client.images.get("piped:1").id
    _out(ph.docker("rmi", "piped:1"))
    # busybox:latest still holds the layers; load brings the tag back on the same id
    client.images.get("busybox").tag("piped", "1")
    save = subprocess.Popen(["docker", "-H", ph.host, "save", "piped:1"], stdout=subprocess.PIPE)
    load = subprocess.run(["docker", "-H", ph.host, "load"], stdin=save.stdout, capture_output=True, timeout=60)
    save.stdout.close()
    assert save.wait(timeout=60) == 0
    assert load.returncode == 0, load.stderr
    assert client.images.get("piped:1").id == original


def test_docker_py_save_and_load(client, cleanup_images):
    image = client.images.get("busybox")
    image.tag("pysave", "1")
    data = b"".join(client.images.get("pysave:1").save(named="pysave:1"))
    client.images.remove("pysave:1")
    loaded = client.images.load(data)
    assert [i.id for i in loaded] == [image.id]
    assert "pysave:1" in client.images.get(image.id).tags


def test_load_an_oci_layout_tar_with_two_layers_and_whiteouts(ph, client, busybox_rootfs, cleanup_images):
    base = _busybox_layer(busybox_rootfs)
    top = tars.tar_bytes(
        [
            tars.file("etc/.wh.group"),  # deletes /etc/group of the base
            tars.directory("home"),
            tars.file("home/.wh..wh..opq"),  # hides whatever the base had in /home
            tars.file("home/only", b"top\n"),
            tars.file("added", b"new\n"),
        ]
    )
    config = tars.image_config([base, top], cmd=["sh"])
    archive = tars.oci_archive_nested(config, [base, top], "docker.io/library/layered:1", ARCH)
    out = _out(ph.docker("load", input=archive))
    assert b"layered" in out
    result = _out(
        ph.docker(
            "run",
            "--rm",
            "layered:1",
            "sh",
            "-c",
            "cat /added; ls /home; [ -e /etc/group ] && echo group || echo no-group",
        )
    )
    assert result == b"new\nonly\nno-group\n"
    assert len(client.api.inspect_image("layered:1")["RootFS"]["Layers"]) == 2


def test_load_a_legacy_docker_save_tar(ph, client, busybox_rootfs, cleanup_images):
    base = _busybox_layer(busybox_rootfs)
    config = tars.image_config([base], cmd=["echo", "legacy"])
    archive = tars.legacy_save_archive(config, [base], ["legacy:1"])
    assert b"Loaded image: legacy:1" in _out(ph.docker("load", input=archive))
    assert _out(ph.docker("run", "--rm", "legacy:1")) == b"legacy\n"


def test_layers_are_shared_between_images(ph, client, busybox_rootfs, cleanup_images):
    _out(ph.docker("import", str(busybox_rootfs), "again:1"))
    assert (
        client.api.inspect_image("again:1")["RootFS"]["Layers"]
        == client.api.inspect_image("busybox")["RootFS"]["Layers"]
    )
    layers = list((ph.data_root / "layers" / "sha256").iterdir())
    assert len([p for p in layers if p.is_dir()]) == 1


def test_rmi_of_an_image_in_use_is_a_conflict_unless_forced(ph, client, busybox_rootfs, cleanup_images):
    _out(ph.docker("import", "-c", "LABEL x=1", str(busybox_rootfs), "inuse:1"))
    image_id = client.images.get("inuse:1").id
    client.containers.create("inuse:1", ["true"], name="user")
    result = ph.docker("rmi", "inuse:1")
    assert result.returncode != 0
    assert b"conflict: unable to remove repository reference" in result.stderr
    assert b"is using its referenced image" in result.stderr
    with pytest.raises(docker.errors.APIError) as refused:
        client.images.remove(image_id)
    assert refused.value.status_code == 409
    out = _out(ph.docker("rmi", "-f", "inuse:1"))
    assert b"Untagged: inuse:1" in out
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("inuse:1")
    client.containers.get("user").start()  # its layers are still held for it
    assert client.containers.get("user").wait(timeout=10)["StatusCode"] == 0


def test_rmi_of_an_image_used_by_a_running_container_is_refused_even_forced(ph, client, busybox_rootfs, cleanup_images):
    _out(ph.docker("import", "-c", "LABEL y=1", str(busybox_rootfs), "running:1"))
    image_id = client.images.get("running:1").id
    client.containers.run(image_id, ["sleep", "60"], detach=True)
    result = ph.docker("rmi", "-f", image_id)
    assert result.returncode != 0
    assert b"running container" in result.stderr


def test_rmi_of_an_unused_image_deletes_it(ph, client, busybox_rootfs, cleanup_images):
    _out(ph.docker("import", "-c", "LABEL z=1", str(busybox_rootfs), "unused:1"))
    image_id = client.images.get("unused:1").id
    out = _out(ph.docker("rmi", "unused:1")).decode()
    assert "Untagged: unused:1" in out
    assert f"Deleted: {image_id}" in out
    assert _out(ph.docker("images", "-q", "unused")) == b""


def test_unknown_image_is_404(ph, client):
    result = ph.docker("image", "inspect", "nosuch:tag")
    assert result.returncode != 0
    assert b"No such image: nosuch:tag" in result.stderr
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch:tag")
