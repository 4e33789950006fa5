"""Volumes through the daemon: bind mounts (ro really read-only), anonymous and named volumes, --volumes-from
(also from a created-only container), image VOLUMEs filled from the image, the volume verbs, and rm -v."""

import io
import os
import tarfile

import docker
import pytest

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def volume_image(daemon, busybox_rootfs, tmp_path_factory):
    """`volimg`: busybox plus /data/file and /data/sub/deep, imported with `VOLUME /data`."""
    path = tmp_path_factory.mktemp("volimg") / "volimg.tar"
    with tarfile.open(busybox_rootfs) as base, tarfile.open(path, "w") as out:
        for member in base.getmembers():
            out.addfile(member, base.extractfile(member) if member.isfile() else None)
        for name, data in (("data/file", b"from the image\n"), ("data/sub/deep", b"deep\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            out.addfile(info, io.BytesIO(data))
    daemon.docker("import", "-c", "VOLUME /data", str(path), "volimg", check=True)
    return "volimg"


def _out(result) -> bytes:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _mount(client, cid: str, destination: str) -> dict:
    return next(m for m in client.api.inspect_container(cid)["Mounts"] if m["Destination"] == destination)


def test_bind_mount_shares_files_both_ways(ph, tmp_path):
    (tmp_path / "from-host").write_text("hello\n")
    out = _out(
        ph.docker(
            "run",
            "--rm",
            "-v",
            f"{tmp_path}:/ctr",
            "busybox",
            "sh",
            "-c",
            "cat /ctr/from-host; echo back > /ctr/from-ctr",
        )
    )
    assert out == b"hello\n"
    assert (tmp_path / "from-ctr").read_text() == "back\n"


def test_read_only_bind_refuses_writes(ph, tmp_path):
    (tmp_path / "f").write_text("keep\n")
    result = ph.docker(
        "run",
        "--rm",
        "-v",
        f"{tmp_path}:/ctr:ro",
        "busybox",
        "sh",
        "-c",
        "cat /ctr/f; echo x > /ctr/f; echo y > /ctr/new; rm /ctr/f",
    )
    assert result.stdout == b"keep\n"
    assert result.stderr.count(b"Read-only file system") == 3
    assert (tmp_path / "f").read_text() == "keep\n"
    assert not (tmp_path / "new").exists()


def test_bind_of_a_single_file(ph, tmp_path):
    (tmp_path / "conf").write_text("setting=1\n")
    assert (
        _out(ph.docker("run", "--rm", "-v", f"{tmp_path}/conf:/etc/app.conf:ro", "busybox", "cat", "/etc/app.conf"))
        == b"setting=1\n"
    )


def test_anonymous_volume_keeps_data_across_restarts(ph, client):
    cid = (
        _out(
            ph.docker("create", "-v", "/cache", "busybox", "sh", "-c", "cat /cache/n 2>/dev/null; echo run >> /cache/n")
        )
        .decode()
        .strip()
    )
    ph.docker("start", "-a", cid, check=True)
    assert ph.docker("start", "-a", cid).stdout == b"run\n"
    mount = _mount(client, cid, "/cache")
    assert mount["Type"] == "volume" and len(mount["Name"]) == 64
    assert open(os.path.join(mount["Source"], "n")).read() == "run\nrun\n"
    assert mount["Name"] in {v.name for v in client.volumes.list()}


def test_named_volume_is_created_on_demand_and_shared(ph, client):
    ph.docker("run", "--rm", "-v", "shared:/a", "busybox", "sh", "-c", "echo one > /a/x", check=True)
    assert client.volumes.get("shared").name == "shared"
    assert _out(ph.docker("run", "--rm", "-v", "shared:/b:ro", "busybox", "cat", "/b/x")) == b"one\n"
    result = ph.docker("run", "--rm", "-v", "shared:/b:ro", "busybox", "sh", "-c", "echo two > /b/x")
    assert b"Read-only file system" in result.stderr


def test_volumes_from_a_created_only_container(ph, client):
    ph.docker("create", "--name", "store", "-v", "/dbdata", "-v", "keep:/keep", "busybox", "true", check=True)
    ph.docker(
        "run",
        "--rm",
        "--volumes-from",
        "store",
        "busybox",
        "sh",
        "-c",
        "echo saved > /dbdata/f; echo kept > /keep/f",
        check=True,
    )
    out = _out(
        ph.docker(
            "run",
            "--rm",
            "--volumes-from",
            "store:ro",
            "busybox",
            "sh",
            "-c",
            "cat /dbdata/f /keep/f; touch /dbdata/g 2>&1 || true",
        )
    )
    assert out.startswith(b"saved\nkept\n")
    assert b"Read-only file system" in out
    assert _mount(client, "store", "/dbdata")["Source"] == _mount_of_new(client, "store", "/dbdata")


def _mount_of_new(client, source: str, destination: str) -> str:
    other = client.containers.create("busybox", ["true"], volumes_from=[source])
    try:
        return _mount(client, other.id, destination)["Source"]
    finally:
        other.remove()


def test_image_volume_is_filled_with_the_images_content(ph, client, volume_image):
    out = _out(ph.docker("run", "--name", "user", volume_image, "sh", "-c", "cat /data/file /data/sub/deep"))
    assert out == b"from the image\ndeep\n"
    mount = _mount(client, "user", "/data")
    assert mount["Type"] == "volume" and len(mount["Name"]) == 64
    assert open(os.path.join(mount["Source"], "file")).read() == "from the image\n"
    assert client.api.inspect_container("user")["Config"]["Volumes"] == {"/data": {}}


def test_data_packed_volume_container(ph, volume_image):
    """Docker's documented pattern: a created container whose image VOLUME holds data, shared by others."""
    ph.docker("create", "--name", "datapack", volume_image, "true", check=True)
    assert _out(ph.docker("run", "--rm", "--volumes-from", "datapack", "busybox", "cat", "/data/file")) == (
        b"from the image\n"
    )
    ph.docker("run", "--rm", "--volumes-from", "datapack", "busybox", "sh", "-c", "echo more >> /data/file", check=True)
    assert _out(ph.docker("run", "--rm", "--volumes-from", "datapack", "busybox", "cat", "/data/file")) == (
        b"from the image\nmore\n"
    )


def test_an_empty_named_volume_is_filled_from_the_image_once(ph, client, volume_image):
    ph.docker("run", "--rm", "-v", "filled:/data", volume_image, "sh", "-c", "echo changed > /data/file", check=True)
    assert _out(ph.docker("run", "--rm", "-v", "filled:/data", volume_image, "cat", "/data/file")) == b"changed\n"


def test_volume_create_ls_inspect_rm(ph, client):
    assert _out(ph.docker("volume", "create", "--label", "team=ops", "mine")) == b"mine\n"
    assert b"mine" in _out(ph.docker("volume", "ls", "-q")).split()
    assert _out(ph.docker("volume", "ls", "-q", "--filter", "label=team=ops")) == b"mine\n"
    volume = client.volumes.get("mine")
    assert volume.attrs["Driver"] == "local"
    assert volume.attrs["Labels"] == {"team": "ops"}
    assert os.path.isdir(volume.attrs["Mountpoint"])
    assert _out(ph.docker("volume", "inspect", "-f", "{{.Name}} {{.Driver}}", "mine")) == b"mine local\n"
    assert _out(ph.docker("volume", "rm", "mine")) == b"mine\n"
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get("mine")
    assert not os.path.exists(volume.attrs["Mountpoint"])


def test_docker_py_volume_create_is_seen_by_the_cli(ph, client):
    client.volumes.create("pyvol", labels={"a": "b"})
    assert _out(ph.docker("volume", "inspect", "-f", "{{.Labels.a}}", "pyvol")) == b"b\n"


def test_volume_in_use_cannot_be_removed(ph, client):
    client.containers.create("busybox", ["true"], volumes=["busy:/x"])
    result = ph.docker("volume", "rm", "busy")
    assert result.returncode != 0
    assert b"volume is in use" in result.stderr
    assert "busy" in {v.name for v in client.volumes.list()}


def test_dangling_filter_lists_unused_volumes(ph, client):
    client.volumes.create("free")
    client.containers.create("busybox", ["true"], volumes=["taken:/x"])
    assert _out(ph.docker("volume", "ls", "-q", "--filter", "dangling=true")).split() == [b"free"]
    assert _out(ph.docker("volume", "ls", "-q", "--filter", "dangling=false")).split() == [b"taken"]


def test_prune_removes_unused_anonymous_volumes_and_all_removes_named_ones(ph, client):
    client.volumes.create("named-unused")
    gone = client.containers.create("busybox", ["true"], volumes=["/anon"])
    anon = _mount(client, gone.id, "/anon")["Name"]
    gone.remove()
    client.containers.create("busybox", ["true"], volumes=["/kept"])
    out = _out(ph.docker("volume", "prune", "-f"))
    assert anon.encode() in out
    names = {v.name for v in client.volumes.list()}
    assert anon not in names and "named-unused" in names
    assert len(names) == 2  # named-unused and the anonymous volume still in use
    _out(ph.docker("volume", "prune", "-f", "--all"))
    assert "named-unused" not in {v.name for v in client.volumes.list()}


def test_rm_v_removes_anonymous_volumes_only_and_never_bind_sources(ph, client, tmp_path):
    (tmp_path / "precious").write_text("do not delete\n")
    cid = (
        _out(
            ph.docker(
                "run",
                "-d",
                "-v",
                f"{tmp_path}:/bind",
                "-v",
                "/anon",
                "-v",
                "named:/named",
                "busybox",
                "sh",
                "-c",
                "touch /bind/made /anon/a /named/n; sleep 60",
            )
        )
        .decode()
        .strip()
    )
    anon = _mount(client, cid, "/anon")
    ph.docker("rm", "-f", "-v", cid, check=True)
    names = {v.name for v in client.volumes.list()}
    assert anon["Name"] not in names
    assert not os.path.exists(anon["Source"])
    assert "named" in names
    assert (tmp_path / "precious").read_text() == "do not delete\n"
    assert (tmp_path / "made").exists()


def test_auto_remove_takes_its_anonymous_volumes_along(ph, client):
    ph.docker("run", "--rm", "-v", "/scratch", "-v", "stays:/stays", "busybox", "true", check=True)
    assert {v.name for v in client.volumes.list()} == {"stays"}


def test_anonymous_volume_shared_by_volumes_from_is_kept_while_used(ph, client):
    source = client.containers.create("busybox", ["true"], volumes=["/shared"])
    user = client.containers.create("busybox", ["true"], volumes_from=[source.id])
    anon = _mount(client, source.id, "/shared")["Name"]
    source.remove(v=True)
    assert anon in {v.name for v in client.volumes.list()}  # the other container still mounts it
    user.remove(v=True)
    assert anon not in {v.name for v in client.volumes.list()}


def test_mount_flag_volume_and_tmpfs(ph, client):
    out = _out(
        ph.docker(
            "run",
            "--rm",
            "--mount",
            "type=volume,source=mnt,target=/m",
            "--mount",
            "type=tmpfs,target=/t",
            "busybox",
            "sh",
            "-c",
            "echo v > /m/x; grep ' /t ' /proc/mounts | cut -d' ' -f3",
        )
    )
    assert out == b"tmpfs\n"
    assert "mnt" in {v.name for v in client.volumes.list()}
