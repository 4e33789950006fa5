"""`porthole daemon --web HOST:PORT`: the dashboard served by the daemon itself, read-only, and refused on a
public address without a token, with a one-line reason. With --exporter as well, one container watcher
serves the exporter, the dashboard and the map: the daemon's API sees one events stream, not three."""

import http.client
import json
import re
import ssl
import subprocess
import urllib.request

import pytest

from tests.support.daemon import REPO, START_TIMEOUT, TestDaemon, running, wait_for
from tests.support.exporter import free_port, scrape_until, value
from tests.support.tls import make_certificates
from web.serving import TOKEN_ENV

pytestmark = pytest.mark.root

TOKEN = "a-token-long-enough-to-matter"


def fetch(url: str) -> tuple[int, bytes] | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except OSError:
        return None


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    d = TestDaemon(tmp_path_factory.mktemp("porthole"))
    d.web_port, d.metrics_port = free_port(), free_port()
    # --debug: the API server logs each request it answers (an events stream when it opens)
    d.extra_args = ("--web", f"127.0.0.1:{d.web_port}", "--metrics-addr", f"127.0.0.1:{d.metrics_port}", "--exporter")
    d.extra_args += ("--debug",)
    with running(d, busybox_rootfs):
        yield d


def test_the_daemon_serves_the_dashboard_of_its_own_containers(ph):
    ph.docker("run", "-d", "--name", "shown", "busybox", "sleep", "60", check=True)
    url = f"http://127.0.0.1:{ph.web_port}"

    def listed() -> list[str]:
        answer = fetch(f"{url}/api/v1/containers")
        return [c["name"] for c in json.loads(answer[1])["containers"]] if answer else []

    assert wait_for(lambda: "shown" in listed(), START_TIMEOUT, what="the container in the dashboard's list")
    status, page = fetch(f"{url}/containers/shown")
    assert status == 200 and b"shown" in page
    assert b'class="controls"' not in page  # read-only: controls need `porthole web --enable-controls`


def test_one_watcher_serves_the_exporter_the_dashboard_and_the_map(ph):
    ph.docker("run", "-d", "--name", "watched", "busybox", "sleep", "60", check=True)
    url = f"http://127.0.0.1:{ph.web_port}"

    def on_the_page_and_the_map() -> bool:
        listed, mapped = fetch(f"{url}/api/v1/containers"), fetch(f"{url}/api/topology/containers")
        names = [c["name"] for c in json.loads(listed[1])["containers"]] if listed else []
        labels = [n["label"] for n in json.loads(mapped[1])["nodes"].values()] if mapped else []
        return "watched" in names and "watched" in labels

    wait_for(on_the_page_and_the_map, START_TIMEOUT, what="the container on the dashboard and on the map")
    scrape_until(
        ph.metrics_port,
        lambda samples: value(samples, "container_memory_usage_bytes", name="watched") is not None,
        what="the container's series in the exporter's /metrics",
        timeout=START_TIMEOUT,
    )
    # the API server's request lines (the daemon's own client logs its requests too, under urllib3's name)
    streams = re.findall(r"porthole\.api: \S+ \"GET /v[\d.]+/events\?", (ph.root / "daemon.log").read_text())
    assert len(streams) == 1, f"{len(streams)} events streams opened on the daemon's API"


def test_a_public_address_without_a_token_is_refused_with_the_reason(tmp_path):
    d = TestDaemon(tmp_path, extra_args=("--web", "0.0.0.0:0"))
    result = subprocess.run(d.command(), capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("porthole daemon: --web: web: refusing to listen on 0.0.0.0:0: it is not a loopback address")
    )
    assert not d.socket.exists() and not d.data_root.exists()  # refused before anything was made


def test_the_dashboard_in_the_daemon_serves_https_with_the_web_tls_flags(tmp_path, busybox_rootfs):
    (tmp_path / "tls").mkdir()
    certs = make_certificates(tmp_path / "tls")
    port = free_port()
    d = TestDaemon(tmp_path / "porthole", env={TOKEN_ENV: TOKEN})
    d.extra_args = ("--web", f"127.0.0.1:{port}", "--web-tls-cert", str(certs.server_cert),
                    "--web-tls-key", str(certs.server_key))  # fmt: skip
    context = ssl.create_default_context(cafile=str(certs.ca))

    def answer(connection: http.client.HTTPConnection) -> int | None:
        try:
            connection.request("GET", "/api/v1/containers", headers={"Authorization": f"Bearer {TOKEN}"})
            return connection.getresponse().status
        except (http.client.HTTPException, OSError):
            return None
        finally:
            connection.close()

    with running(d, busybox_rootfs):
        https = lambda: answer(http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5))  # noqa: E731
        assert wait_for(lambda: https() == 200, START_TIMEOUT, what="the dashboard over HTTPS")
        assert answer(http.client.HTTPConnection("127.0.0.1", port, timeout=5)) != 200  # plain HTTP gets no page
        assert f"dashboard at https://127.0.0.1:{port}/" in (d.root / "daemon.log").read_text()


def test_web_tls_flags_go_together(tmp_path):
    d = TestDaemon(tmp_path, extra_args=("--web", "127.0.0.1:0", "--web-tls-cert", str(tmp_path / "cert.pem")))
    result = subprocess.run(d.command(), capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "porthole daemon: --web: web: --web-tls-cert and --web-tls-key go together"
    )
    assert not d.socket.exists()
