"""The API on TCP: dockerd's TLS options with client certificates, the refusal of plain TCP off loopback, and
the Host check against DNS rebinding."""

import http.client
import secrets
import socket
import subprocess
import sys

import pytest

from tests.support.daemon import REPO, TestDaemon, running
from tests.support.tls import make_certificates

pytestmark = pytest.mark.root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_daemon(tmp_path_factory, busybox_rootfs, certs):
    port = _free_port()
    daemon = TestDaemon(tmp_path_factory.mktemp("tls-daemon"))
    daemon.extra_args = ("-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(certs.ca),
                         "--tlscert", str(certs.server_cert), "--tlskey", str(certs.server_key))  # fmt: skip
    with running(daemon, busybox_rootfs) as d:
        yield d, port


def _docker_tls(port: int, cert, key, ca, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", "-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(ca), "--tlscert", str(cert),
         "--tlskey", str(key), *args],
        capture_output=True, timeout=60,
    )  # fmt: skip


def test_a_client_with_a_certificate_of_the_ca_is_served(tls_daemon, certs):
    _, port = tls_daemon
    result = _docker_tls(port, certs.client_cert, certs.client_key, certs.ca, "run", "--rm", "busybox", "echo", "hi")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"hi\n"


def test_a_client_certificate_of_another_ca_is_refused(tls_daemon, certs):
    _, port = tls_daemon
    result = _docker_tls(port, certs.other_client_cert, certs.other_client_key, certs.ca, "version")
    assert result.returncode != 0
    assert b"Server:" not in result.stdout


def test_no_client_certificate_and_plain_http_are_refused(tls_daemon, certs):
    _, port = tls_daemon
    result = subprocess.run(["docker", "-H", f"tcp://127.0.0.1:{port}", "--tls", "--tlscacert", str(certs.ca),
                             "version"], capture_output=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    result = subprocess.run(["docker", "-H", f"tcp://127.0.0.1:{port}", "version"], capture_output=True, timeout=60)
    assert result.returncode != 0
    assert b"Server:" not in result.stdout


def _ping(port: int, host_header: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/_ping", headers={"Host": host_header})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_host_check_refuses_a_rebound_name_and_accepts_loopback_and_api_hosts(tmp_path_factory, busybox_rootfs):
    port = _free_port()
    daemon = TestDaemon(tmp_path_factory.mktemp("tcp-daemon"))
    daemon.extra_args = ("-H", f"tcp://127.0.0.1:{port}", "--api-host", "docker.internal.example")
    with running(daemon, busybox_rootfs):
        status, body = _ping(port, f"evil.example:{port}")
        assert status == 403
        assert b"is not a name of this daemon" in body
        for name in (f"127.0.0.1:{port}", f"localhost:{port}", "docker.internal.example"):
            assert _ping(port, name) == (200, b"OK"), name


def _daemon_exit(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "porthole.cli.main", "daemon", "--data-root", str(tmp_path / "d"), "--exec-root",
         str(tmp_path / "e"), "-H", f"unix://{tmp_path}/s.sock", *args],
        capture_output=True, timeout=60, cwd=REPO,
    )  # fmt: skip


def test_plain_tcp_off_loopback_is_refused_without_insecure_tcp(tmp_path):
    result = _daemon_exit(tmp_path, "-H", "tcp://10.123.45.67:2375")
    assert result.returncode != 0
    assert b"is not a loopback address" in result.stderr
    assert b"--tlsverify" in result.stderr


@pytest.fixture
def off_loopback_address():
    """An address of this machine that is not loopback, on a veth pair of the test's own (no traffic leaves)."""
    link, address = f"phv{secrets.token_hex(3)}", f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(250)}.7"
    subprocess.run(["ip", "link", "add", link, "type", "veth", "peer", "name", f"{link}p"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", link], check=True)
        subprocess.run(["ip", "link", "set", link, "up"], check=True)
        yield address
    finally:
        subprocess.run(["ip", "link", "del", link], check=True)


def test_insecure_tcp_is_allowed_knowingly_and_warned_in_info(tmp_path_factory, busybox_rootfs, off_loopback_address):
    daemon = TestDaemon(tmp_path_factory.mktemp("insecure-daemon"))
    daemon.extra_args = ("-H", f"tcp://{off_loopback_address}:{_free_port()}", "--insecure-tcp")
    with running(daemon, busybox_rootfs) as d:
        warnings = d.client().info()["Warnings"]
        assert any("without encryption" in w and off_loopback_address in w for w in warnings)
        assert "without encryption" in d.log_tail()
