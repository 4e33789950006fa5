"""A container's filesystem through the docker CLI and docker-py: `docker cp` both ways (running and stopped
containers, volumes and binds, symlinks, the path-stat header), attacks on cp that must stay inside the
container's root, `docker diff`, `docker export`, and `ps -s` / `inspect -s`."""

import base64
import io
import json
import os
import tarfile
from pathlib import Path

import docker
import pytest

pytestmark = pytest.mark.root


def tar_of(members: dict[str, bytes | tuple[str, str]]) -> bytes:
    """A tar: name -> bytes for a file, ("symlink", target) or ("hardlink", target) for links."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(content, tuple):
                info.type = tarfile.SYMTYPE if content[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = content[1]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def file_in(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.extractfile(name).read()


def started(client, command: str, **kwargs):
    container = client.containers.run("busybox", ["sh", "-c", command], detach=True, **kwargs)
    return container


def exec_out(container, command: str) -> str:
    result = container.exec_run(["sh", "-c", command])
    assert result.exit_code == 0, result.output
    return result.output.decode()


# --- cp out --------------------------------------------------------------------------------------------------


def test_cp_out_of_a_running_container_with_the_cli(ph, client, tmp_path):
    c = started(client, "mkdir -p /data/sub && echo hello > /data/sub/f && ln -s /data/sub /link && sleep 300")
    ph.docker("exec", c.id, "test", "-f", "/data/sub/f", check=True)
    ph.docker("cp", f"{c.id}:/data", str(tmp_path / "copy"), check=True)
    assert (tmp_path / "copy" / "sub" / "f").read_text() == "hello\n"
    ph.docker("cp", f"{c.id}:/data/sub/.", str(tmp_path / "contents"), check=True)
    assert (tmp_path / "contents" / "f").read_text() == "hello\n"
    ph.docker("cp", f"{c.id}:/link", str(tmp_path / "the-link"), check=True)
    assert os.readlink(tmp_path / "the-link") == "/data/sub"  # the symlink itself, as Docker copies it
    ph.docker("cp", "-L", f"{c.id}:/link", str(tmp_path / "followed"), check=True)
    assert (tmp_path / "followed" / "f").read_text() == "hello\n"


def test_cp_out_of_a_stopped_container_and_to_stdout(ph, client):
    c = client.containers.run("busybox", ["sh", "-c", "echo kept > /kept.txt"], detach=True)
    c.wait(timeout=30)
    result = ph.docker("cp", f"{c.id}:/kept.txt", "-", check=True)
    assert file_in(result.stdout, "kept.txt") == b"kept\n"
    kept = members(result.stdout)["kept.txt"]
    # numbers only, as moby since 23.0 (archive.FileInfoHeader: no user lookups, safe in a chroot); 20.10 looked
    # the ids up on the host and wrote root/root
    assert (kept.uid, kept.gid, kept.uname, kept.gname) == (0, 0, "", "")


def test_get_archive_header_and_member_names_with_docker_py(ph, client):
    c = started(client, "echo x > /etc/x.conf && ln -s /etc /etclink && sleep 300")
    ph.docker("exec", c.id, "test", "-f", "/etc/x.conf", check=True)
    chunks, stat = c.get_archive("/etc")
    data = b"".join(chunks)
    assert stat["name"] == "etc" and stat["mode"] & (1 << 31)  # Go's os.ModeDir
    assert "etc/x.conf" in members(data) and "etc" in members(data)
    chunks, stat = c.get_archive("/etclink")
    assert stat["linkTarget"] == "/etc" and stat["mode"] & (1 << 27)  # Go's os.ModeSymlink
    assert members(b"".join(chunks))["etclink"].issym()
    chunks, stat = c.get_archive("/etclink/")
    assert "etclink/x.conf" in members(b"".join(chunks))
    raw = client.api.head(client.api._url("/containers/{0}/archive", c.id), params={"path": "/etc/x.conf"})
    header = json.loads(base64.b64decode(raw.headers["X-Docker-Container-Path-Stat"]))
    assert header["name"] == "x.conf" and header["size"] == 2 and header["mode"] == 0o644


def test_cp_of_a_missing_path_is_docker_s_404(ph, client):
    c = started(client, "sleep 300")
    result = ph.docker("cp", f"{c.name}:/nope", "-")
    assert result.returncode != 0
    assert f"Could not find the file /nope in container {c.name}" in result.stderr.decode()
    with pytest.raises(docker.errors.NotFound):
        c.get_archive("/nope")


# --- cp in ---------------------------------------------------------------------------------------------------


def test_cp_into_running_and_stopped_containers(ph, client, tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.txt").write_text("a\n")
    os.chown(tmp_path / "dir" / "a.txt", 1234, 1234)
    running = started(client, "sleep 300")
    ph.docker("cp", str(tmp_path / "dir"), f"{running.id}:/tmp/", check=True)
    assert exec_out(running, "cat /tmp/dir/a.txt; stat -c %u:%g /tmp/dir/a.txt") == "a\n1234:1234\n"
    stopped = client.containers.create("busybox", ["cat", "/in/a.txt"])
    ph.docker("cp", str(tmp_path / "dir" / "a.txt"), f"{stopped.id}:/in/", check=False)
    # /in does not exist: Docker's CLI refuses a destination directory that is missing
    ph.docker("cp", str(tmp_path / "dir"), f"{stopped.id}:/in", check=True)
    stopped.start()
    assert stopped.wait(timeout=30)["StatusCode"] == 0
    assert stopped.logs() == b"a\n"


def test_cp_of_an_empty_upload_succeeds_as_docker(ph, client):
    c = started(client, "sleep 300")
    assert ph.docker("cp", "-", f"{c.id}:/tmp", input=b"").returncode == 0  # `docker cp - c:/tmp < /dev/null`
    c.put_archive("/tmp", b"")
    assert exec_out(c, "ls -A /tmp") == ""
    with pytest.raises(docker.errors.NotFound):  # the destination is still checked first
        c.put_archive("/no-such-dir", b"")


def test_cp_with_archive_flag_takes_the_container_user(ph, client, tmp_path):
    (tmp_path / "f").write_text("f")
    c = client.containers.run("busybox", ["sleep", "300"], user="1000:1000", detach=True)
    ph.docker("cp", "-a", str(tmp_path / "f"), f"{c.id}:/tmp/f", check=True)
    assert exec_out(c, "stat -c %u:%g /tmp/f") == "1000:1000\n"


def test_cp_reaches_volumes_and_binds_of_a_stopped_container(ph, client, tmp_path):
    bound = tmp_path / "bound"
    bound.mkdir()
    c = client.containers.create("busybox", ["true"], volumes={str(bound): {"bind": "/bound", "mode": "rw"}})
    client.api.put_archive(c.id, "/bound", tar_of({"in-bind.txt": b"bind\n"}))
    assert (bound / "in-bind.txt").read_bytes() == b"bind\n"
    vc = client.containers.create("busybox", ["cat", "/vol/in-volume.txt"], volumes=["/vol"])
    vc.put_archive("/vol", tar_of({"in-volume.txt": b"volume\n"}))
    vc.start()
    assert vc.wait(timeout=30)["StatusCode"] == 0 and vc.logs() == b"volume\n"
    chunks, _ = vc.get_archive("/vol/in-volume.txt")
    assert file_in(b"".join(chunks), "in-volume.txt") == b"volume\n"
    assert "rootview" not in Path("/proc/self/mountinfo").read_text()  # the views' mounts never reached the host


def test_cp_into_a_read_only_volume_or_a_file_is_refused(ph, client, tmp_path):
    (tmp_path / "ro").mkdir()
    c = client.containers.create("busybox", ["true"], volumes={str(tmp_path / "ro"): {"bind": "/ro", "mode": "ro"}})
    with pytest.raises(docker.errors.APIError, match="mounted volume is marked read-only"):
        c.put_archive("/ro", tar_of({"x": b"x"}))
    with pytest.raises(docker.errors.APIError, match="extraction point is not a directory"):
        c.put_archive("/bin/busybox", tar_of({"x": b"x"}))
    assert list((tmp_path / "ro").iterdir()) == []


# --- attacks: nothing ever leaves the container's root ------------------------------------------------------


def test_symlinks_to_the_host_root_resolve_inside_the_container(ph, client):
    c = started(client, "ln -s / /escape && ln -s ../../../../../../ /up && echo mine > /etc/marker && sleep 300")
    ph.docker("exec", c.id, "test", "-L", "/up", check=True)
    for path in ("/escape/etc/marker", "/up/etc/marker", "/../../../etc/marker"):
        chunks, _ = c.get_archive(path)
        assert file_in(b"".join(chunks), "marker") == b"mine\n", path
    with pytest.raises(docker.errors.NotFound):
        c.get_archive("/escape" + str(Path(__file__).resolve()))  # a host file, absent inside


def test_stopped_container_symlinks_stay_inside_too(ph, client, tmp_path):
    host_dir = tmp_path / "host-only"
    host_dir.mkdir()
    c = client.containers.run("busybox", ["sh", "-c", f"ln -s {host_dir} /trap"], detach=True)
    c.wait(timeout=30)
    c.put_archive("/trap/..", tar_of({"landed.txt": b"x"}))  # `/trap/..` is `/` inside the container
    assert list(host_dir.iterdir()) == []
    chunks, _ = c.get_archive("/landed.txt")
    assert file_in(b"".join(chunks), "landed.txt") == b"x"
    with pytest.raises(docker.errors.NotFound):
        c.put_archive("/trap", tar_of({"y": b"y"}))  # /trap points nowhere inside the container


def test_dot_dot_members_are_refused_and_write_nothing(ph, client):
    c = started(client, "mkdir /target && sleep 300")
    ph.docker("exec", c.id, "test", "-d", "/target", check=True)
    with pytest.raises(docker.errors.APIError, match="is outside of"):
        c.put_archive("/target", tar_of({"../escaped.txt": b"x"}))
    with pytest.raises(docker.errors.APIError, match="invalid hardlink"):
        c.put_archive("/target", tar_of({"h": ("hardlink", "../etc/passwd")}))
    with pytest.raises(docker.errors.APIError, match="invalid symlink"):
        c.put_archive("/target", tar_of({"s": ("symlink", "../../etc")}))
    assert exec_out(c, "ls -A /target; test ! -e /escaped.txt && echo none") == "none\n"


def test_a_symlink_member_then_a_write_through_it_stays_in_the_container(ph, client):
    c = started(client, "mkdir /target && sleep 300")
    ph.docker("exec", c.id, "test", "-d", "/target", check=True)
    before = Path("/etc/hostname").read_bytes()
    with pytest.raises(docker.errors.APIError, match="invalid symlink"):
        c.put_archive("/target", tar_of({"etc": ("symlink", "/../../../etc"), "etc/hostname": b"owned\n"}))
    assert Path("/etc/hostname").read_bytes() == before
    c.put_archive("/", tar_of({"/etc/abs.txt": b"absolute names land under the target\n"}))
    assert exec_out(c, "cat /etc/abs.txt") == "absolute names land under the target\n"


# --- diff, export, sizes --------------------------------------------------------------------------------------


def test_diff_reports_added_changed_and_deleted_as_docker(ph, client):
    c = client.containers.run(
        "busybox",
        ["sh", "-c", "mkdir /new && echo n > /new/file && echo x >> /etc/passwd && rm /etc/group"],
        detach=True,
    )
    c.wait(timeout=30)
    lines = ph.docker("diff", c.id, check=True).stdout.decode().splitlines()
    assert lines == ["C /etc", "D /etc/group", "C /etc/passwd", "A /new", "A /new/file"]
    assert c.diff() == [
        {"Path": "/etc", "Kind": 0},
        {"Path": "/etc/group", "Kind": 2},
        {"Path": "/etc/passwd", "Kind": 0},
        {"Path": "/new", "Kind": 1},
        {"Path": "/new/file", "Kind": 1},
    ]
    modified = client.containers.run("busybox", ["sh", "-c", "echo y >> /etc/passwd"], detach=True)
    modified.wait(timeout=30)
    # overlayfs copied /etc up to change a file in it: Docker lists the directory too
    assert ph.docker("diff", modified.id, check=True).stdout == b"C /etc\nC /etc/passwd\n"
    fresh = client.containers.run("busybox", ["true"], detach=True)
    fresh.wait(timeout=30)
    assert ph.docker("diff", fresh.id, check=True).stdout == b""  # the runtime's mount points are not changes


def test_export_is_the_merged_root_without_volumes(ph, client, tmp_path):
    c = client.containers.run(
        "busybox",
        ["sh", "-c", "echo e > /exported && echo v > /vol/in-volume && rm /bin/ls"],
        volumes=["/vol"],
        detach=True,
    )
    c.wait(timeout=30)
    ph.docker("export", "-o", str(tmp_path / "out.tar"), c.id, check=True)
    names = members((tmp_path / "out.tar").read_bytes())
    assert "exported" in names and "bin/busybox" in names and "etc/passwd" in names
    assert "bin/ls" not in names and "vol/in-volume" not in names and "vol" in names
    assert ".dockerenv" in names and names["etc/mtab"].linkname == "/proc/mounts"  # the init layer's, as Docker
    never_started = client.containers.create("busybox", ["true"])
    assert {".dockerenv", "etc/mtab"} <= set(members(b"".join(never_started.export())))
    assert not any(name.startswith(("/", "./")) for name in names)
    running = started(client, "echo live > /live && sleep 300", volumes=["/vol2"])
    ph.docker("exec", running.id, "sh", "-c", "test -f /live && echo v > /vol2/x", check=True)
    names = members(b"".join(running.export()))
    assert "live" in names and "vol2/x" not in names
    assert not any(name.startswith("proc/") for name in names)


def test_ps_and_inspect_report_sizes(ph, client):
    c = client.containers.run("busybox", ["sh", "-c", "dd if=/dev/zero of=/big bs=1024 count=100"], detach=True)
    c.wait(timeout=30)
    detail = json.loads(ph.docker("inspect", "-s", c.id, check=True).stdout)[0]
    assert detail["SizeRw"] == 102400
    image_size = client.images.get("busybox").attrs["Size"]
    assert detail["SizeRootFs"] == 102400 + image_size
    row = next(r for r in client.api.containers(all=True, size=True) if r["Id"] == c.id)
    assert row["SizeRw"] == 102400 and row["SizeRootFs"] == 102400 + image_size
    printed = ph.docker("ps", "-a", "-s", "--filter", f"id={c.id}", "--format", "{{.Size}}", check=True)
    assert printed.stdout.decode().startswith("102kB (virtual ")
    assert "SizeRw" not in client.api.inspect_container(c.id)
