"""Helpers for the dashboard's tests against a real daemon (this module holds no tests): the dashboard as
`porthole web` on a free loopback port, a headless Chromium driven by selenium, and the four
containers the pages are proven on (busy, idle, restarting, logging)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docker

from tests.support.daemon import REPO, wait_for

ARTIFACTS = REPO / "artifacts" / "web"
SCREENSHOTS = REPO / "docs" / "screenshots"
# The README's screenshots change only when asked: a test run leaves the checkout clean.
UPDATE_SCREENSHOTS = os.environ.get("PORTHOLE_UPDATE_SCREENSHOTS") == "1"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

BUSY = "web-busy"
IDLE = "web-idle"
RESTARTER = "web-restarter"
LOGGER = "web-logger"


@dataclass
class WebServer:
    process: subprocess.Popen
    url: str  # http://127.0.0.1:PORT
    log: Path
    lines: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """SIGTERM, as a service manager would; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_web(
    engine_host: str, log: Path, *args: str, env: dict[str, str] | None = None, prefix: Sequence[str] = ()
) -> WebServer:
    """`porthole -H <engine> web --listen 127.0.0.1:0 <args>`, once it says where it listens; prefix: what runs
    it (nsenter into a test host's namespace)."""
    process = subprocess.Popen(
        [
            *prefix,
            sys.executable,
            "-m",
            "porthole.cli.main",
            "-H",
            engine_host,
            "web",
            "--listen",
            "127.0.0.1:0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=open(log, "ab"),
        cwd=REPO,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    server = WebServer(process, "", log)
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()), daemon=True)
    reader.start()

    def listening() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"web exited with {process.returncode}: {log.read_text()[-2000:]}")
        return bool(first_line)

    try:
        wait_for(listening, 30, what="the dashboard to listen")
    except BaseException:
        server.stop()
        raise
    # "web: serving http://127.0.0.1:PORT/ for the containers of ..."
    server.url = first_line[0].split()[2].rstrip("/")
    return server


def chromium(profile: Path):
    """Debian's chromium through its chromedriver: headless, quiet, a fresh profile, no downloads."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        raise AssertionError(f"web tests: {', '.join(missing)} missing: apt-get install chromium chromium-driver")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def console_errors(driver) -> list[str]:
    """The browser console's errors since the last call (failed loads, exceptions, CSP refusals)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def settle_for_docs(driver, points: int = 50) -> None:
    """Before a README screenshot: a minute's window, and charts with a minute of points in it."""
    if not UPDATE_SCREENSHOTS:
        return
    driver.execute_script(
        "const w = document.getElementById('window'); w.value = '60'; w.dispatchEvent(new Event('change'));"
    )
    first_chart = "document.querySelector('figure.chart').dataset.points"
    wait_for(lambda: int(driver.execute_script(f"return {first_chart}") or 0) >= points, 120, what="a minute of points")


def screenshot(driver, name: str, *, docs: bool = False, max_height: int = 2400) -> Path:
    """The whole page (up to max_height pixels) into artifacts/web/; with docs=True, also into
    docs/screenshots/ (the README's, one per page) when PORTHOLE_UPDATE_SCREENSHOTS=1."""
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, max_height), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    if docs and UPDATE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(path.read_bytes())
    return path


def run_containers(client: docker.DockerClient) -> dict[str, docker.models.containers.Container]:
    """The four containers of the proof, running (the restarter at least started once)."""
    containers = {
        # half a core: the busy loop shows a CPU limit and throttling, and spares the shared machine
        BUSY: client.containers.run(
            "busybox",
            ["sh", "-c", "while true; do :; done"],
            name=BUSY,
            detach=True,
            nano_cpus=500_000_000,
            labels={"role": "busy"},
        ),
        IDLE: client.containers.run("busybox", ["sleep", "100000"], name=IDLE, detach=True, labels={"role": "idle"}),
        RESTARTER: client.containers.run(
            "busybox",
            ["sh", "-c", "echo started; sleep 1; exit 3"],
            name=RESTARTER,
            detach=True,
            restart_policy={"Name": "always"},
            labels={"role": "restarter"},
        ),
        LOGGER: client.containers.run(
            "busybox",
            ["sh", "-c", 'i=0; while true; do i=$((i+1)); echo "tick $i"; echo "warn $i" >&2; sleep 1; done'],
            name=LOGGER,
            detach=True,
            environment={"SECRET_TOKEN": "hunter2"},
            labels={"role": "logger"},
        ),
    }
    for container in containers.values():
        wait_for(lambda c=container: _started(c), 20, what=f"{container.name} to start")
    return containers


def _started(container) -> bool:
    container.reload()
    return not container.attrs["State"]["StartedAt"].startswith("0001-")


def remove_containers(containers: dict) -> None:
    for container in containers.values():
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            continue
