"""The dashboard's Images page against a test daemon, through `porthole web` over HTTP: an image built here is
listed with its size and layers, and its page shows each layer and the step profile of its build (the RUN step's
CPU and memory, read from porthole's build-profile endpoint); an imported image shows its layers only."""

import re

import pytest
import requests

from tests.support.web import start_web

pytestmark = pytest.mark.root


@pytest.fixture
def built(ph, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN head -c 500000 /dev/urandom > /blob && echo done\nLABEL stage=web\n"
    )
    result = ph.docker("build", "-q", "-t", "webimg:1", str(tmp_path), timeout=180)
    assert result.returncode == 0, result.stderr.decode()
    yield result.stdout.decode().strip()
    ph.docker("rmi", "-f", "webimg:1")


def test_images_page_lists_layers_and_the_step_profile(ph, built, tmp_path):
    profile = ph.client().api._result(
        ph.client().api._get(ph.client().api._url("/porthole/images/{0}/build-profile", "webimg:1")), json=True
    )
    run_step = next(s for s in profile["Steps"] if "urandom" in s["CreatedBy"])
    assert run_step["LayerBytes"] == 500000 and run_step["CpuSeconds"] is not None
    assert run_step["PeakMemoryBytes"] and run_step["WallSeconds"] > 0
    server = start_web(ph.host, tmp_path / "web.log")
    try:
        listing = requests.get(f"{server.url}/images", timeout=30).text
        assert "webimg:1" in listing and "busybox:latest" in listing
        page = requests.get(f"{server.url}/images/{built}", timeout=30)
        assert page.status_code == 200
        text = page.text
        assert "head -c 500000 /dev/urandom" in text and 'id="step-profile"' in text
        assert re.search(r"<td class=\"num\">488\.3 KiB</td>", text)  # the RUN step's layer
        base = requests.get(f"{server.url}/images/busybox:latest", timeout=30).text
        assert "No build on this engine made this image" in base
        assert requests.get(f"{server.url}/images/nope:1", timeout=30).status_code == 404
    finally:
        server.stop()
