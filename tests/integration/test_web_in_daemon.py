"""`porthole daemon --web HOST:PORT`: the dashboard served by the daemon itself, read-only, and refused on a
public address without a token, with a one-line reason. With --exporter as well, one container watcher
serves the exporter, the dashboard and the map: the daemon's API sees one events stream, not three."""

import json
import re
import subprocess
import urllib.request

import pytest

from tests.support.daemon import REPO, START_TIMEOUT, TestDaemon, running, wait_for
from tests.support.exporter import free_port, scrape_until, value

pytestmark = pytest.mark.root


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
