"""POST /build through docker-py and raw requests: the image docker-py gets back, a failing step as BuildError,
bad contexts (not a tar, `..` members, cut off half-way) answered clearly with nothing left behind, and a
client that disconnects cancelling the build and its container."""

import io
import json
import os
import socket
import tarfile

import docker
import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


def context_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def tmp_entries(ph) -> list[str]:
    return os.listdir(ph.data_root / "tmp")


def raw_build(ph, body: bytes, query: str = "") -> tuple[int, bytes]:
    """POST /build over the daemon's socket; (status, body) whatever the body is."""
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(str(ph.socket))
    head = (
        f"POST /v1.47/build?{query} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def test_docker_py_builds_and_gets_the_image(ph, client, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nARG WHO\nRUN echo hello $WHO > /greeting\nCMD cat /greeting\n")
    image, logs = client.images.build(path=str(tmp_path), tag="pybuilt:1", buildargs={"WHO": "py"}, rm=True)
    try:
        assert "pybuilt:1" in image.tags
        streamed = "".join(chunk.get("stream", "") for chunk in logs)
        assert "Successfully built" in streamed and "Step 3/4" in streamed
        assert client.containers.run("pybuilt:1", remove=True) == b"hello py\n"
    finally:
        client.images.remove("pybuilt:1", force=True)


def test_docker_py_sees_a_failing_step_as_build_error(ph, client, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN exit 7\n")
    with pytest.raises(docker.errors.BuildError) as caught:
        client.images.build(path=str(tmp_path), forcerm=True)
    assert "returned a non-zero code: 7" in str(caught.value)
    assert client.containers.list(all=True) == []  # --force-rm removed the failed step's container


@pytest.mark.parametrize(
    "body, message",
    [
        (b"this is not a tar archive at all" * 40, "not a valid tar archive"),
        (context_tar({"../escape": b"x", "Dockerfile": b"FROM busybox\n"}), "climbs out of the layer with '..'"),
        (context_tar({"Dockerfile": b"FROM busybox\n"})[:700], "not a valid tar archive"),
        (context_tar({"other": b"x"}), "Cannot locate specified Dockerfile: Dockerfile"),
    ],
)
def test_bad_contexts_are_refused_and_leave_nothing(ph, body, message):
    status, answer = raw_build(ph, body)
    assert status == 400
    assert message in json.loads(answer)["message"]
    assert tmp_entries(ph) == []
    assert ph.client().ping()


def test_a_context_cut_off_half_way_fails_and_the_daemon_serves_on(ph):
    big = context_tar({"Dockerfile": b"FROM busybox\n", "big.bin": os.urandom(8 << 20)})
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(str(ph.socket))
    head = (
        "POST /v1.47/build HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n"
        f"Content-Length: {2 << 30}\r\n\r\n"  # announces 2 GiB, sends 8 MiB, hangs up
    )
    sock.sendall(head.encode() + big[: len(big) // 2])
    sock.close()
    wait_for(lambda: tmp_entries(ph) == [], 30, what="the cut-off context to be removed")
    assert ph.client().ping()


def test_a_client_that_disconnects_cancels_the_build(ph, client):
    body = context_tar({"Dockerfile": b"FROM busybox\nRUN echo go-$((1+1)) && sleep 60\n"})
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(str(ph.socket))
    head = (
        "POST /v1.47/build HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    seen = b""
    while b"go-2" not in seen:  # the step's own output: it is running
        chunk = sock.recv(65536)
        assert chunk, seen
        seen += chunk
    assert len(client.containers.list(all=True)) == 1, seen
    sock.close()
    wait_for(lambda: client.containers.list(all=True) == [], 30, what="the step's container to be removed")
    wait_for(lambda: tmp_entries(ph) == [], 30, what="the build's files to be removed")
