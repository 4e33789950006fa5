"""The Engine API around containers: version prefixes and negotiation, headers sent at once on waiting and
streaming calls, and concurrent requests."""

import json
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import docker
import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


def _raw(ph, request: bytes) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(ph.socket))
    sock.sendall(request)
    return sock


def _headers(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("prefix", ["", "/v1.24", "/v1.41", "/v1.47"])
def test_version_prefixes_are_served(ph, client, prefix):
    container = client.containers.create("busybox", ["true"], name="prefixed")
    sock = _raw(ph, f"GET {prefix}/containers/prefixed/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    with sock:
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Api-Version: 1.47" in head
    assert json.loads(body)["Id"] == container.id


def test_version_and_ping(ph, client):
    version = client.version()
    assert version["ApiVersion"] == "1.47"
    assert version["MinAPIVersion"] == "1.24"
    assert version["Os"] == "linux"
    assert client.ping() is True
    out = ph.docker("version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}}", check=True).stdout
    assert out.split()[0] == b"1.47"


def test_docker_py_negotiates_an_older_version(ph):
    old = docker.DockerClient(base_url=ph.host, version="1.30")
    try:
        assert old.api.api_version == "1.30"
        assert old.containers.list(all=True) == []
        assert old.containers.run("busybox", ["echo", "old api"], remove=True) == b"old api\n"
    finally:
        old.close()


@pytest.mark.parametrize(
    "path",
    [
        "/v1.47/containers/{id}/wait",
        "/v1.47/containers/{id}/logs?follow=1&stdout=1",
        "/v1.47/containers/{id}/stats",
        "/v1.47/events",
    ],
)
def test_waiting_and_streaming_calls_send_their_headers_at_once(ph, client, path):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    method = "POST" if path.endswith("wait") else "GET"
    started = time.monotonic()
    sock = _raw(ph, f"{method} {path.format(id=container.id)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    with sock:
        head = _headers(sock)
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Transfer-Encoding: chunked" in head
    assert time.monotonic() - started < 2  # long before the container or the stream ends


def test_wait_answers_when_the_container_exits(ph, client):
    container = client.containers.run("busybox", ["sh", "-c", "sleep 0.5; exit 6"], detach=True)
    sock = _raw(ph, f"POST /v1.47/containers/{container.id}/wait HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    with sock:
        _headers(sock)
        body = b""
        while b"StatusCode" not in body:
            body += sock.recv(4096)
    assert b'"StatusCode": 6' in body


def test_concurrent_creates_starts_and_removes(ph, client):
    def lifecycle(i: int) -> bytes:
        c = ph.client()
        try:
            container = c.containers.run("busybox", ["sh", "-c", f"echo {i}"], detach=True, name=f"many-{i}")
            container.wait(timeout=30)
            output = container.logs()
            container.remove()
            return output
        finally:
            c.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(lifecycle, range(16)))
    assert outputs == [f"{i}\n".encode() for i in range(16)]
    assert client.containers.list(all=True) == []


def test_a_slow_request_does_not_hold_up_others(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    waiting = threading.Thread(target=lambda: client.api.wait(container.id, timeout=30), daemon=True)
    waiting.start()
    started = time.monotonic()
    for _ in range(10):
        assert ph.client().ping()
    assert time.monotonic() - started < 5
    container.kill()
    waiting.join(timeout=10)
    assert not waiting.is_alive()


def test_unknown_query_flags_use_mobys_boolean_rules(ph, client):
    client.containers.create("busybox", ["true"], name="stopped")
    for value, listed in (("1", True), ("true", True), ("True", True), ("0", False), ("false", False), ("", False)):
        sock = _raw(
            ph, f"GET /v1.47/containers/json?all={value} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        with sock:
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        body = json.loads(data.partition(b"\r\n\r\n")[2])
        assert (len(body) == 1) is listed, value


def test_a_client_resetting_its_connection_leaves_no_traceback_in_the_daemons_log(ph, client):
    for _ in range(3):
        sock = _raw(ph, b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        # closing a unix socket with the answer unread resets the connection: the daemon's next read fails
        wait_for(lambda s=sock: select.select([s], [], [], 0)[0], 5, what="the answer")
        sock.close()
    assert client.ping()
    assert "ConnectionResetError" not in (ph.root / "daemon.log").read_text(errors="replace")
