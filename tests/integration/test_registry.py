"""Pull and push against Debian's docker-registry on loopback, with the docker CLI, docker-py and skopeo:
round trips (skopeo in, porthole out, skopeo back), v2s2 and OCI manifests, RepoDigests and name@digest,
`docker run` pulling a missing image, htpasswd auth with docker login, a corrupt blob and a registry that
answers 500 or garbage failing the pull with no half image."""

import hashlib
import http.client
import http.server
import json
import os
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

import docker
import pytest

from runtime.images.imageconfig import host_architecture
from tests.support.imagetars import digest, file, oci_layout_of_platforms, tar_bytes
from tests.support.registry import free_port, running_registry

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    with running_registry(tmp_path_factory.mktemp("registry")) as r:
        yield r


def build_app(ph, tmp_path: Path, name: str) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN echo payload > /payload && head -c 300000 /dev/urandom > /r\n"
    )
    ph.docker("build", "-q", "-t", name, str(tmp_path), check=True, timeout=120)


def diff_ids(ph, name: str) -> list[str]:
    return json.loads(ph.docker("image", "inspect", name, check=True).stdout)[0]["RootFS"]["Layers"]


def tmp_entries(ph) -> list[str]:
    return os.listdir(ph.data_root / "tmp")


def test_push_then_pull_with_the_docker_cli(ph, registry, images_cleaned, tmp_path):
    name = f"{registry.address}/cli/app:1"
    build_app(ph, tmp_path, name)
    layers = diff_ids(ph, name)
    pushed = ph.docker("push", name, check=True).stdout.decode()
    assert "Pushed" in pushed and "1: digest: sha256:" in pushed
    digest = pushed.split("digest: ")[1].split()[0]
    again = ph.docker("push", name, check=True).stdout.decode()
    assert "Layer already exists" in again and "Pushed" not in again
    ph.docker("rmi", name, check=True)
    pulled = ph.docker("pull", name, check=True).stdout.decode()
    assert f"Digest: {digest}" in pulled and f"Status: Downloaded newer image for {name}" in pulled
    assert diff_ids(ph, name) == layers  # byte-identical layers: the same uncompressed digests
    inspected = json.loads(ph.docker("image", "inspect", name, check=True).stdout)[0]
    assert inspected["RepoDigests"] == [f"{registry.address}/cli/app@{digest}"]
    listed = ph.docker("images", "--digests", "--format", "{{.Digest}}", name, check=True).stdout.decode()
    assert listed.strip() == digest
    by_digest = f"{registry.address}/cli/app@{digest}"
    assert ph.docker("run", "--rm", by_digest, "cat", "/payload", check=True).stdout == b"payload\n"
    up_to_date = ph.docker("pull", name, check=True).stdout.decode()
    assert "Status: Image is up to date" in up_to_date


def test_run_pulls_a_missing_image(ph, registry, images_cleaned, tmp_path):
    name = f"{registry.address}/run/app:1"
    build_app(ph, tmp_path, name)
    ph.docker("push", name, check=True)
    ph.docker("rmi", name, check=True)
    result = ph.docker("run", "--rm", name, "cat", "/payload", check=True)
    assert result.stdout == b"payload\n"
    assert "Unable to find image" in result.stderr.decode()


@pytest.mark.parametrize("manifest_format", ["v2s2", "oci"])
def test_skopeo_round_trip(ph, registry, images_cleaned, tmp_path, manifest_format):
    source = f"{registry.address}/skopeo/{manifest_format}:1"
    build_app(ph, tmp_path, "local/app:1")
    archive = tmp_path / "app.tar"
    with open(archive, "wb") as out:
        subprocess.run(["docker", "-H", ph.host, "save", "local/app:1"], stdout=out, check=True)
    registry.skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--format",
        manifest_format,
        f"docker-archive:{archive}",
        f"docker://{source}",
    )
    layers = diff_ids(ph, "local/app:1")
    ph.docker("rmi", "local/app:1", check=True)  # its own layer goes; busybox's base layer stays
    pulled = ph.docker("pull", source, check=True).stdout.decode()
    assert pulled.count("Pull complete") == len(layers) - 1 and pulled.count("Already exists") == 1
    assert diff_ids(ph, source) == layers
    target = f"{registry.address}/skopeo/back-{manifest_format}:2"
    ph.docker("tag", source, target, check=True)
    ph.docker("push", target, check=True)
    raw = json.loads(registry.skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{target}").stdout)
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    copied = tmp_path / "back"
    registry.skopeo("copy", "--src-tls-verify=false", f"docker://{target}", f"dir:{copied}")
    config = json.loads((copied / raw["config"]["digest"].removeprefix("sha256:")).read_bytes())
    assert config["rootfs"]["diff_ids"] == layers
    for layer in raw["layers"]:  # every blob skopeo fetched is what the manifest says
        data = (copied / layer["digest"].removeprefix("sha256:")).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == layer["digest"]


def test_a_corrupt_blob_fails_the_pull_and_leaves_no_image(ph, registry, images_cleaned, tmp_path):
    name = f"{registry.address}/corrupt/app:1"
    build_app(ph, tmp_path, name)
    pushed = json.loads(ph.docker("image", "inspect", name, check=True).stdout)[0]
    ph.docker("push", name, check=True)
    ph.docker("rmi", name, check=True)
    manifest = json.loads(registry.skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{name}").stdout)
    top = manifest["layers"][-1]["digest"].removeprefix("sha256:")
    blob = registry.root / "storage/docker/registry/v2/blobs/sha256" / top[:2] / top / "data"
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    result = ph.docker("pull", name)
    assert result.returncode != 0
    assert "digest mismatch" in result.stderr.decode() or "not a valid tar archive" in result.stderr.decode()
    assert ph.docker("image", "inspect", name).returncode != 0
    assert ph.docker("image", "inspect", pushed["Id"]).returncode != 0
    assert tmp_entries(ph) == []


def test_basic_auth_with_docker_login(ph, images_cleaned, tmp_path):
    with running_registry(tmp_path / "authreg", user="alice", password="s3cret") as secured:
        name = f"{secured.address}/private/app:1"
        build_app(ph, tmp_path, name)
        config = tmp_path / "docker-config"
        config.mkdir()
        denied = subprocess.run(
            ["docker", "--config", str(config), "-H", ph.host, "push", name], capture_output=True, timeout=60
        )
        assert denied.returncode != 0 and "no basic auth credentials" in denied.stderr.decode()
        wrong = subprocess.run(
            [
                "docker",
                "--config",
                str(config),
                "-H",
                ph.host,
                "login",
                "-u",
                "alice",
                "--password-stdin",
                secured.address,
            ],
            input=b"nope\n",
            capture_output=True,
            timeout=60,
        )
        assert wrong.returncode != 0
        login = subprocess.run(
            [
                "docker",
                "--config",
                str(config),
                "-H",
                ph.host,
                "login",
                "-u",
                "alice",
                "--password-stdin",
                secured.address,
            ],
            input=b"s3cret\n",
            capture_output=True,
            timeout=60,
        )
        assert login.returncode == 0, login.stderr.decode()
        assert b"Login Succeeded" in login.stdout
        pushed = subprocess.run(
            ["docker", "--config", str(config), "-H", ph.host, "push", name], capture_output=True, timeout=60
        )
        assert pushed.returncode == 0, pushed.stderr.decode()
        subprocess.run(["docker", "--config", str(config), "logout", secured.address], capture_output=True, check=True)


class _Broken(http.server.BaseHTTPRequestHandler):
    mode = "500"

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.mode == "500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"oops")
            return
        body = b"this is not json"
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return None


@pytest.mark.parametrize("mode, message", [("500", "status 500"), ("garbage", "not valid JSON")])
def test_a_broken_registry_fails_the_pull_clearly(ph, images_cleaned, mode, message):
    handler = type("Handler", (_Broken,), {"mode": mode})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = ph.docker("pull", f"127.0.0.1:{server.server_address[1]}/x/y:1")
        assert result.returncode != 0
        assert message in result.stderr.decode()
        assert tmp_entries(ph) == []
        assert ph.client().ping()
    finally:
        server.shutdown()
        server.server_close()


class _CuttingProxy(http.server.BaseHTTPRequestHandler):
    """Forwards to the registry; the first GET of the blob `cut` gets its headers and half its bytes, then the
    connection is dropped. Every Range header that reaches it is recorded."""

    upstream = ""
    cut = ""
    ranges: list[str] = []
    cuts_done: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self._forward("GET")

    def do_HEAD(self):  # noqa: N802
        self._forward("HEAD")

    def _forward(self, method: str) -> None:
        connection = http.client.HTTPConnection(self.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        if "Range" in self.headers:
            self.ranges.append(self.headers["Range"])
        connection.request(method, self.path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "transfer-encoding"):
                self.send_header(name, value)
        self.end_headers()
        cutting = method == "GET" and self.cut and self.path.endswith(self.cut) and not self.cuts_done
        if cutting:
            self.cuts_done.append(self.path)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif method == "GET":
            self.wfile.write(body)
        connection.close()

    def log_message(self, *args):
        return None


def test_a_dropped_blob_download_resumes_with_range(ph, registry, images_cleaned, tmp_path):
    name = f"{registry.address}/resume/app:1"
    build_app(ph, tmp_path, name)
    ph.docker("push", name, check=True)
    manifest = json.loads(registry.skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{name}").stdout)
    big = manifest["layers"][-1]  # the app's layer: the base one is stored already
    handler = type(
        "Proxy", (_CuttingProxy,), {"upstream": registry.address, "cut": big["digest"], "ranges": [], "cuts_done": []}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ph.docker("rmi", name, check=True)
        through_proxy = f"127.0.0.1:{server.server_address[1]}/resume/app:1"
        pulled = ph.docker("pull", through_proxy, check=True).stdout.decode()
        assert "Pull complete" in pulled
        assert handler.cuts_done, "the proxy never cut the blob"
        assert len(handler.ranges) == 1
        start = int(handler.ranges[0].removeprefix("bytes=").rstrip("-"))
        assert 0 < start <= big["size"] // 2  # asked from where it stopped, not from the start
        assert ph.docker("run", "--rm", through_proxy, "cat", "/payload", check=True).stdout == b"payload\n"
    finally:
        server.shutdown()
        server.server_close()


def test_an_index_of_two_platforms_pulls_the_host_s(ph, registry, client, images_cleaned, tmp_path):
    layers = {
        "amd64": tar_bytes([file("platform", b"amd64\n")]),
        "arm64": tar_bytes([file("platform", b"arm64\n")]),
    }
    oci_layout_of_platforms(tmp_path / "layout", "1", layers)
    name = f"{registry.address}/multi/app:1"
    registry.skopeo("copy", "--all", "--dest-tls-verify=false", f"oci:{tmp_path / 'layout'}:1", f"docker://{name}")
    raw = json.loads(registry.skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{name}").stdout)
    assert raw["mediaType"] == "application/vnd.oci.image.index.v1+json" and len(raw["manifests"]) == 2
    ph.docker("pull", name, check=True)
    pulled = json.loads(ph.docker("image", "inspect", name, check=True).stdout)[0]
    host = host_architecture()
    assert pulled["Architecture"] == host
    assert pulled["RootFS"]["Layers"] == [digest(layers[host])]
    data = client.images.get_registry_data(name)
    assert data.id.startswith("sha256:") and data.attrs["Descriptor"]["mediaType"] == raw["mediaType"]
    assert data.has_platform("linux/amd64") and data.has_platform("linux/arm64")
    assert not data.has_platform("linux/s390x")


def test_distribution_inspect_of_a_single_manifest(ph, registry, client, images_cleaned, tmp_path):
    name = f"{registry.address}/dist/app:1"
    build_app(ph, tmp_path, name)
    pushed = ph.docker("push", name, check=True).stdout.decode()
    digest_pushed = pushed.split("digest: ")[1].split()[0]
    data = client.images.get_registry_data(name)
    assert data.id == digest_pushed
    assert data.attrs["Platforms"] == [{"architecture": host_architecture(), "os": "linux"}]
    with pytest.raises(docker.errors.NotFound):
        client.images.get_registry_data(f"{registry.address}/dist/absent:1")


def test_distribution_inspect_of_a_docker_hub_name_without_a_mirror_is_refused_clearly(client):
    with pytest.raises(docker.errors.NotFound) as refused:
        client.images.get_registry_data("busybox:latest")
    assert "porthole reaches no Docker Hub here: busybox:latest: name a registry (host:port/name)" in str(refused.value)


def test_push_mounts_blobs_across_repositories(ph, registry, images_cleaned, tmp_path):
    first = f"{registry.address}/mount/a:1"
    build_app(ph, tmp_path, first)
    ph.docker("push", first, check=True)
    second = f"{registry.address}/mount/b:1"
    ph.docker("tag", first, second, check=True)
    pushed = ph.docker("push", second, check=True).stdout.decode()
    app_layer = diff_ids(ph, second)[-1].removeprefix("sha256:")[:12]
    assert f"{app_layer}: Mounted from mount/a" in pushed  # the base layer may come from any earlier repository
    assert pushed.count("Mounted from ") == len(diff_ids(ph, second)) and "Pushed" not in pushed
    raw = json.loads(registry.skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{second}").stdout)
    for layer in raw["layers"]:  # the blobs are served from b itself now
        url = f"http://{registry.address}/v2/mount/b/blobs/{layer['digest']}"
        request = urllib.request.Request(url, method="HEAD")
        assert urllib.request.urlopen(request, timeout=10).status == 200


def test_search_answers_a_clear_error(ph):
    result = ph.docker("search", "busybox")
    assert result.returncode != 0
    assert "porthole: search" in result.stderr.decode() and "Docker Hub" in result.stderr.decode()
