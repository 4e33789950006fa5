"""Bad input: Docker's status code, a message naming the problem, nothing half-created (containers, volumes,
data and exec dirs, cgroups, images, layers), and a daemon that keeps serving."""

import http.client
import io
import json
import os
import socket
import tarfile
from urllib.parse import quote

import docker
import pytest

pytestmark = pytest.mark.root

CGROUP_CONTROLLERS = ("memory", "cpu", "pids", "freezer", "blkio", "devices", "cpuset")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self._path)


def request(
    ph, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, dict | None]:
    """A raw request over the daemon's socket: (status, decoded JSON body or None)."""
    connection = UnixHTTPConnection(str(ph.socket))
    try:
        headers = {"Content-Type": content_type} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data.strip() else None
    finally:
        connection.close()


def create(ph, body, name: str | None = None) -> tuple[int, dict | None]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return request(ph, "POST", "/v1.47/containers/create" + (f"?name={name}" if name else ""), raw)


def _listing(path) -> list[str]:
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def _snapshot(ph, client) -> dict:
    return {
        "containers": sorted(c.id for c in client.containers.list(all=True, sparse=True)),
        "volumes": sorted(v.name for v in client.volumes.list()),
        "images": sorted(i.id for i in client.images.list(all=True)),
        "data": _listing(ph.data_root / "containers"),
        "exec": _listing(ph.exec_root / "containers"),
        "netns": _listing(ph.exec_root / "netns"),
        "volume dirs": _listing(ph.data_root / "volumes"),
        "layers": _listing(ph.data_root / "layers" / "sha256"),
        "cgroups": {c: _listing(f"/sys/fs/cgroup/{c}/{ph.cgroup_parent}") for c in CGROUP_CONTROLLERS},
    }


def _child_cgroups(snapshot: dict) -> dict:
    return {c: [d for d in entries if len(d) == 64] for c, entries in snapshot["cgroups"].items()}


@pytest.fixture
def untouched(ph, client):
    """Call after the refused requests: asserts nothing was left behind and the daemon still serves."""
    before = _snapshot(ph, client)

    def check() -> None:
        after = _snapshot(ph, client)
        assert _child_cgroups(after) == _child_cgroups(before)
        after["cgroups"] = before["cgroups"] = None
        assert after == before
        assert client.ping()
        assert ph.docker("run", "--rm", "busybox", "echo", "still serving").stdout == b"still serving\n"

    return check


@pytest.mark.parametrize("name", ["bad name", "-dash", "a", "semi;colon", "../up", "é"])
def test_invalid_container_names_are_400(ph, client, untouched, name):
    status, body = create(ph, {"Image": "busybox", "Cmd": ["true"]}, name=quote(name))
    assert status == 400
    assert "Invalid container name" in body["message"]
    result = ph.docker("create", "--name", name, "busybox", "true")
    assert result.returncode != 0
    assert b"Invalid container name" in result.stderr
    untouched()


def test_invalid_volume_names_are_400(ph, untouched):
    result = ph.docker("volume", "create", "bad/name")
    assert result.returncode != 0
    assert b'"bad/name" includes invalid characters for a local volume name' in result.stderr
    result = ph.docker("run", "--rm", "-v", "bad!name:/x", "busybox", "true")
    assert result.returncode == 125
    assert b"bad!name" in result.stderr
    untouched()


def test_unknown_image_is_404(ph, client, untouched):
    status, body = create(ph, {"Image": "nosuch:1.0", "Cmd": ["true"]})
    assert status == 404
    assert body["message"] == "No such image: nosuch:1.0"
    result = ph.docker("create", "nosuch:1.0", "true")
    assert result.returncode != 0
    assert b"nosuch" in result.stderr
    untouched()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"Image": "busybox",', "invalid JSON"),
        (b"not json at all", "invalid JSON"),
        (b'["Image", "busybox"]', "expected an object"),
        (b"", "a JSON object is required"),
        (b'{"Image": "busybox", "Cmd": ["true"]} trailing', "invalid JSON"),
        (b'\xff\xfe{"Image"}', "invalid JSON"),
    ],
)
def test_malformed_json_is_400(ph, untouched, raw, message):
    status, body = create(ph, raw)
    assert status == 400
    assert message in body["message"]
    untouched()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"Image": "busybox", "Cmd": 5}, "Cmd"),
        ({"Image": "busybox", "Cmd": ["true"], "Env": "A=1"}, "Env"),
        ({"Image": "busybox", "Cmd": ["true"], "Env": [1]}, "Env"),
        ({"Image": "busybox", "Cmd": ["true"], "Labels": {"a": 1}}, "Labels"),
        ({"Image": "busybox", "Cmd": ["true"], "Tty": "yes"}, "Tty"),
        ({"Image": 7, "Cmd": ["true"]}, "Image"),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": []}, "HostConfig"),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"Binds": "/a:/b"}}, "Binds"),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"Memory": "12x"}}, "Memory"),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"Memory": 1.5}}, "Memory"),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NanoCpus": "1"}}, "NanoCpus"),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"PidsLimit": "many"}}, "PidsLimit"),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"AutoRemove": "true"}}, "AutoRemove"),
        (
            {
                "Image": "busybox",
                "Cmd": ["true"],
                "HostConfig": {"RestartPolicy": {"Name": "always", "MaximumRetryCount": "3"}},
            },
            "MaximumRetryCount",
        ),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"LogConfig": {"Type": 1}}}, "LogConfig.Type"),
        (
            {
                "Image": "busybox",
                "Cmd": ["true"],
                "HostConfig": {"BlkioDeviceReadBps": [{"Path": "/dev/null", "Rate": "1mb"}]},
            },
            "Rate",
        ),
        ({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"Mounts": [{"Type": "bind"}]}}, "Target"),
    ],
)
def test_mistyped_fields_are_400_and_name_the_field(ph, untouched, body, named):
    status, reply = create(ph, body)
    assert status == 400, reply
    assert named in reply["message"]
    assert "Traceback" not in reply["message"] and "internal error" not in reply["message"]
    untouched()


def test_docker_py_posting_a_bad_size_as_a_string(ph, client, untouched):
    reply = client.api._post_json(
        client.api._url("/containers/create"),
        data={"Image": "busybox", "Cmd": ["true"], "HostConfig": {"Memory": "12x"}},
    )
    assert reply.status_code == 400
    assert reply.json()["message"] == ("cgroups: invalid HostConfig.Memory '12x': expected an integer, got a string")
    untouched()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["-m", "1m"], b"Minimum memory limit allowed is 6MB"),
        (["-m", "64m", "--memory-swap", "32m"], b"Minimum memoryswap limit should be larger than memory limit"),
        (["--cpus", "64"], b"Range of CPUs is from 0.01 to"),
        (["--cpuset-cpus", "99"], b"Requested CPUs are not available"),
        (["--blkio-weight", "5"], b"Range of blkio weight is from 10 to 1000"),
        (["-w", "relative"], b"the working directory 'relative' is invalid"),
        (["--restart", "sometimes"], b"invalid restart policy"),
        (["--log-driver", "nosuchdriver"], b"nosuchdriver"),
        (["--log-opt", "max-size=12x"], b"max-size"),
    ],
)
def test_bad_options_are_refused_with_dockers_text(ph, untouched, flags, message):
    result = ph.docker("run", *flags, "busybox", "true")
    assert result.returncode == 125
    assert message in result.stderr, result.stderr
    untouched()


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--memory-swappiness", "10"], b"HostConfig.MemorySwappiness: --memory-swappiness is not supported yet"),
        (["--cgroup-parent", "elsewhere"], b"HostConfig.CgroupParent"),
        (["--domainname", "example.com"], b"Domainname"),
        (["--security-opt", "apparmor=docker-default"], b"AppArmor profiles are not supported"),
    ],
)
def test_options_porthole_does_not_honour_are_refused_not_ignored(ph, untouched, flags, field):
    result = ph.docker("run", *flags, "busybox", "true")
    assert result.returncode == 125
    assert field in result.stderr, result.stderr
    untouched()


def test_name_conflict_is_409_and_leaves_the_first_container_alone(ph, client):
    first = client.containers.create("busybox", ["true"], name="taken", volumes=["/anon"])
    untouched = _snapshot(ph, client)
    status, body = create(ph, {"Image": "busybox", "Cmd": ["true"], "Volumes": {"/other": {}}}, name="taken")
    assert status == 409
    assert body["message"].startswith('Conflict. The container name "/taken" is already in use by container')
    assert first.id in body["message"]
    result = ph.docker("run", "--name", "taken", "-v", "/more", "busybox", "true")
    assert result.returncode == 125
    assert b"is already in use" in result.stderr
    assert _snapshot(ph, client) == untouched


def test_starting_a_running_container_is_304_and_docker_start_succeeds(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    pid = client.api.inspect_container(container.id)["State"]["Pid"]
    status, body = request(ph, "POST", f"/v1.47/containers/{container.id}/start")
    assert (status, body) == (304, None)
    result = ph.docker("start", container.id)
    assert result.returncode == 0
    assert client.api.inspect_container(container.id)["State"]["Pid"] == pid


def test_stopping_a_stopped_container_is_304(ph, client):
    container = client.containers.create("busybox", ["true"])
    status, _ = request(ph, "POST", f"/v1.47/containers/{container.id}/stop")
    assert status == 304


def _import(ph, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> tuple[int, dict]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info in members:
            payload = (data or {}).get(info.name, b"")
            info.size = len(payload) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(payload) if info.isfile() else None)
    return request(ph, "POST", "/v1.47/images/create?fromSrc=-&repo=evil&tag=1", buffer.getvalue(), "application/x-tar")


def _member(name: str, kind=tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, linkname, 0o644
    return info


@pytest.mark.parametrize(
    ("members", "outside"),
    [
        ([_member("../escaped")], "escaped"),
        ([_member("a/../../escaped")], "escaped"),
        ([_member("/abs/../../escaped")], "escaped"),
        ([_member("link", tarfile.SYMTYPE, "/"), _member("link/escaped")], "escaped"),
        ([_member("link", tarfile.SYMTYPE, "../../.."), _member("link/escaped")], "escaped"),
        ([_member("hard", tarfile.LNKTYPE, "../../escaped")], "escaped"),
    ],
    ids=[
        "dotdot",
        "nested-dotdot",
        "absolute-dotdot",
        "through-absolute-symlink",
        "through-relative-symlink",
        "hardlink-out",
    ],
)
def test_import_of_a_tar_that_escapes_the_root_is_400(ph, client, untouched, members, outside):
    status, body = _import(ph, members, {m.name: b"evil\n" for m in members})
    assert status == 400, body
    assert body["message"]
    with pytest.raises(Exception):  # noqa: B017 - docker.errors.ImageNotFound
        client.images.get("evil:1")
    for base in (ph.root, ph.data_root, ph.data_root / "layers", ph.data_root / "layers" / "sha256", "/"):
        assert not os.path.exists(os.path.join(base, outside))
    untouched()


def test_missing_mount_bind_source_is_400_and_creates_no_volume(ph, client, untouched):
    mounts = [{"Type": "bind", "Source": "/no/such/dir", "Target": "/x"}]
    body = {"Image": "busybox", "Cmd": ["true"], "Volumes": {"/anon": {}}, "HostConfig": {"Mounts": mounts}}
    status, body = create(ph, body)
    assert status == 400
    assert "bind source path does not exist: /no/such/dir" in body["message"]
    result = ph.docker("run", "--mount", "type=bind,src=/no/such/dir,dst=/x", "-v", "/anon", "busybox", "true")
    assert result.returncode == 125
    assert b"/no/such/dir" in result.stderr
    untouched()


def test_missing_v_bind_source_is_made_at_start_as_dockers_v_does(ph, tmp_path):
    source = tmp_path / "made" / "here"
    created = ph.docker("create", "-v", f"{source}:/x", "busybox", "sh", "-c", "echo hi > /x/f", check=True)
    assert not source.exists()  # not at create: Docker makes it when the container starts
    assert ph.docker("start", "-a", created.stdout.strip().decode()).returncode == 0
    assert (source / "f").read_text() == "hi\n" and oct(source.stat().st_mode & 0o777) == "0o755"


def test_errors_on_existing_containers(ph, client):
    container = client.containers.create("busybox", ["true"])
    assert request(ph, "POST", f"/v1.47/containers/{container.id}/wait?condition=sometime")[0] == 400
    status, body = request(ph, "GET", f"/v1.47/containers/{container.id}/logs")
    assert status == 400 and "choose at least one stream" in body["message"]
    status, body = request(ph, "POST", f"/v1.47/containers/{container.id}/kill?signal=NOPE")
    assert (status, body["message"]) == (400, "Invalid signal: NOPE")
    status, body = request(ph, "GET", "/v1.47/containers/json?filters=%7Bnot-json")
    assert status == 400 and "invalid filters" in body["message"]
    status, body = request(ph, "POST", f"/v1.47/containers/{container.id}/exec", json.dumps({"Cmd": []}).encode())
    assert status == 409  # not running is checked first, as in Docker


@pytest.mark.parametrize(
    "path",
    [
        "/containers/nosuch/json",
        "/containers/nosuch/start",
        "/containers/nosuch/logs",
        "/images/nosuch/json",
        "/volumes/nosuch",
        "/exec/nosuch/json",
    ],
)
def test_unknown_objects_are_404(ph, path):
    method = "POST" if path.endswith("start") else "GET"
    status, body = request(ph, method, "/v1.47" + path + ("?stdout=1" if path.endswith("logs") else ""))
    assert status == 404
    assert "nosuch" in body["message"]


def test_unknown_route_and_too_old_api_version(ph):
    assert request(ph, "GET", "/v1.47/nothing/here")[0] == 404
    status, body = request(ph, "GET", "/v1.12/containers/json")
    assert status == 400
    assert "is too old" in body["message"]


def test_the_daemon_survives_a_client_that_hangs_up_mid_body(ph, client):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(ph.socket))
    sock.sendall(
        b"POST /v1.47/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"Image": "busy'
    )
    sock.close()
    assert client.ping()
    assert client.containers.list(all=True) == []


def _no_kernel_objects_of(ph, cid: str) -> None:
    for controller in CGROUP_CONTROLLERS:
        assert not os.path.exists(f"/sys/fs/cgroup/{controller}/{ph.cgroup_parent}/{cid}")
    with open("/proc/self/mountinfo") as f:
        assert cid not in f.read()


def test_a_start_that_fails_leaves_the_container_created_with_the_reason(ph, client):
    container = client.containers.create("busybox", ["no-such-binary"])
    result = ph.docker("start", container.id)
    assert result.returncode != 0
    assert b'exec: "no-such-binary": executable file not found in $PATH' in result.stderr
    state = client.api.inspect_container(container.id)["State"]
    assert (state["Status"], state["ExitCode"], state["Pid"]) == ("created", 127, 0)
    assert "executable file not found" in state["Error"]
    _no_kernel_objects_of(ph, container.id)
    assert ph.docker("rm", container.id).returncode == 0


def test_a_bind_source_gone_between_create_and_start_is_named(ph, client, tmp_path):
    source = tmp_path / "gone"
    source.mkdir()
    mount = docker.types.Mount("/x", str(source), type="bind")  # --mount: never made for the container
    container = client.containers.create("busybox", ["ls", "/x"], mounts=[mount])
    source.rmdir()
    result = ph.docker("start", container.id)
    assert result.returncode != 0
    assert f"bind source path does not exist: {source}".encode() in result.stderr
    _no_kernel_objects_of(ph, container.id)
    assert client.api.inspect_container(container.id)["State"]["Status"] == "created"
