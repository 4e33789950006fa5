"""Alerts delivered end to end: a real Prometheus loads dashboards/rules.yml and sends to a real Alertmanager
(Debian's prometheus-alertmanager) routed by dashboards/alertmanager.yml, whose webhook receiver is a small
HTTP server here. A container restarts in a loop with its memory near its limit; the receiver gets both alerts
with the container's name, then, once the container is removed, their resolution.

The rules are the real ones with their time spans shortened to fit a test: every range of the alerts 20x
(a 15-minute restart window is 45 s) and every `for` 60x (5 minutes is 5 s); Alertmanager's group timings are
1 s. Everything else (expressions, labels, routing, grouping, receiver) is the files' own."""

import json
import re
import shutil
import signal
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.daemon import REPO, wait_for
from tests.support.exporter import free_port, get, metrics_daemon

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(shutil.which("prometheus-alertmanager") is None, reason="prometheus-alertmanager missing"),
]
DASHBOARDS = REPO / "dashboards"
WEBHOOK = "http://127.0.0.1:5001/porthole-alerts"
# Fills 30 of its 32 MiB (tmpfs pages are charged to the container and cannot be reclaimed), holds them 10 s
# (a run of 10 s keeps the restart back-off at 100 ms), then fails: --restart always starts it again.
HUNGRY = "dd if=/dev/zero of=/dev/shm/fill bs=1M count=30 2>/dev/null; sleep 10; exit 1"


def shortened_rules(text: str) -> str:
    """The alerts group with its ranges 20x and its `for`s 60x shorter; the recording rules untouched."""
    head, alerts = text.split("  - name: porthole.alerts\n")

    def seconds(number: str, unit: str) -> int:
        return int(number) * {"s": 1, "m": 60, "h": 3600}[unit]

    alerts = re.sub(r"\[(\d+)([smh])\]", lambda m: f"[{max(seconds(*m.groups()) // 20, 2)}s]", alerts)
    alerts = re.sub(r"for: (\d+)([smh])", lambda m: f"for: {max(seconds(*m.groups()) // 60, 1)}s", alerts)
    return head + "  - name: porthole.alerts\n" + alerts


class Webhook:
    """Alertmanager's webhook receiver: keeps every notification it is POSTed."""

    def __init__(self) -> None:
        self.notifications: list[dict] = []
        received = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                return  # quiet: pytest shows what the assertions say

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/porthole-alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, status: str) -> list[dict]:
        return [a for n in self.notifications for a in n["alerts"] if a["status"] == status]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(command: list[str], log_path, ready_port: int, ready_path: str) -> subprocess.Popen:
    log = open(log_path, "ab")
    process = subprocess.Popen(command, stdout=log, stderr=log)
    wait_for(
        lambda: process.poll() is None and get(ready_port, ready_path) is not None,
        timeout=30,
        what=f"{command[0]} ready (log: {log_path})",
    )
    return process


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    with metrics_daemon(tmp_path_factory.mktemp("porthole"), busybox_rootfs) as d:
        yield d


@pytest.fixture
def webhook():
    receiver = Webhook()
    yield receiver
    receiver.stop()


@pytest.fixture
def alertmanager(tmp_path, webhook):
    config = (DASHBOARDS / "alertmanager.yml").read_text()
    assert WEBHOOK in config
    config = config.replace(WEBHOOK, webhook.url)
    config = re.sub(r"(group_wait|group_interval): \d+[smh]", r"\1: 1s", config)
    path = tmp_path / "alertmanager.yml"
    path.write_text(config)
    check = subprocess.run(["amtool", "check-config", str(DASHBOARDS / "alertmanager.yml")], capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    port = free_port()
    process = start(
        [
            "prometheus-alertmanager",
            f"--config.file={path}",
            f"--storage.path={tmp_path / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no gossip port: a single Alertmanager of the test's own
        ],
        tmp_path / "alertmanager.log",
        port,
        "/-/ready",
    )
    yield port
    stop(process)


@pytest.fixture
def prometheus(tmp_path, daemon, alertmanager):
    rules = tmp_path / "rules.yml"
    rules.write_text(shortened_rules((DASHBOARDS / "rules.yml").read_text()))
    shipped = (DASHBOARDS / "prometheus.yml").read_text()
    assert "alerting:\n  alertmanagers:" in shipped  # the shipped config sends alerts; here, to the test's
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager}"]}]}]},
        "scrape_configs": [
            {"job_name": "porthole-daemon", "static_configs": [{"targets": [f"127.0.0.1:{daemon.metrics_port}"]}]},
            {"job_name": "porthole-exporter", "static_configs": [{"targets": [f"127.0.0.1:{daemon.metrics_port}"]}]},
        ],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))
    port = free_port()
    process = start(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--rules.alert.resend-delay=1s",
        ],
        tmp_path / "prometheus.log",
        port,
        "/-/ready",
    )
    yield port
    stop(process)


def test_a_looping_container_near_its_memory_limit_is_reported_by_name_then_resolved(daemon, prometheus, webhook):
    wanted = {"ContainerRestartLoop", "ContainerMemoryNearLimit"}
    daemon.docker(
        "run", "-d", "--name", "hungry", "--restart", "always", "-m", "32m", "busybox", "sh", "-c", HUNGRY, check=True
    )
    try:

        def firing() -> set[str]:
            return {a["labels"]["alertname"] for a in webhook.alerts("firing") if a["labels"].get("name") == "hungry"}

        wait_for(lambda: wanted <= firing(), timeout=120, interval=1, what=f"{wanted} at the webhook (got {firing()})")
    finally:
        daemon.docker("rm", "-f", "hungry")
    for alert in webhook.alerts("firing"):
        if alert["labels"]["alertname"] in wanted:
            assert alert["labels"]["name"] == "hungry" and alert["labels"]["instance"].startswith("127.0.0.1:")
            assert "hungry" in alert["annotations"]["summary"]
    notified = [n for n in webhook.notifications if any(a["labels"]["alertname"] in wanted for a in n["alerts"])]
    assert all(n["groupLabels"].get("name") == "hungry" for n in notified)  # grouped by host and container

    def resolved() -> set[str]:
        return {a["labels"]["alertname"] for a in webhook.alerts("resolved") if a["labels"].get("name") == "hungry"}

    wait_for(lambda: wanted <= resolved(), timeout=120, interval=1, what=f"{wanted} resolved (got {resolved()})")
