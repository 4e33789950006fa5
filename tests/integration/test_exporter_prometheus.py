"""dashboards/ proven against a real Prometheus: it scrapes the exporter and the daemon while real containers
run (one busy under a CPU quota, one near its memory limit, one OOM-killing, one in a restart loop, one
writing to disk, one logging to an unreachable fluentd, one shipping to Elasticsearch (noida-db: see
tests/unit/logdrivers/test_elasticsearch_server.py), one removed after Prometheus saw it), and then every
expression of every dashboard panel and every rule evaluates without error and returns series, and every alert
goes pending or fires, but ContainerLogLinesDropped, ContainerLogShippingLagging, ContainerLogWritesFailing and
PortholeRecordsWaitingForDisk (no test can make the logging pipeline lose a line, lag five minutes or fill the
daemon's disk on demand: their thresholds are lowered to ">= 0", the series they read are there; promtool's rule
tests in tests/unit/exporter/test_rules.py make the disk ones fire) and PortholeNotScraped (both jobs are
scraped: it is asked about a job that is not); their rules must evaluate with health ok. promtool accepts the
config and the rules.
"""

import json
import re
import signal
import subprocess
import time
import urllib.parse

import pytest

from tests.support.daemon import REPO, wait_for
from tests.support.elasticsearch import ElasticsearchServer
from tests.support.exporter import exporter_process, free_port, get, metrics_daemon

pytestmark = pytest.mark.root

DASHBOARDS = REPO / "dashboards"
BOARDS = sorted((DASHBOARDS / "grafana").glob("*.json"))
# Grafana's variables, as a user who picks "All" sees them
VARIABLES = {"host": ".*", "instance": ".*", "name": ".+", "__rate_interval": "5s", "__range": "1m", "__interval": "1s"}
# alert -> its threshold and the one that holds without a lost line (see the module's docstring)
UNPROVOKED = {
    "ContainerLogLinesDropped": (") > 0", ") >= 0"),
    "ContainerLogShippingLagging": (") > 300", ") >= 0"),
    # both jobs are scraped here: ask for a job that is not, so that absent() answers
    "PortholeNotScraped": ('absent(up{job="porthole-exporter"})', 'absent(up{job="no-such-job"})'),
    "ContainerLogWritesFailing": (") > 0", ") >= 0"),  # a full disk: tests/unit/exporter/test_rules.py
    "PortholeRecordsWaitingForDisk": (") > 0", ") >= 0"),
}
ALERTS_EXPECTED = {
    "ContainerDown",
    "ContainerOOMKilled",
    "ContainerExitedOnOOM",
    "ContainerRestartLoop",
    "ContainerMemoryNearLimit",
    "ContainerCPUThrottled",
    "PortholeTargetDown",
    "LogCollectorUnreachable",
}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    with metrics_daemon(tmp_path_factory.mktemp("porthole"), busybox_rootfs) as d:
        yield d


@pytest.fixture(scope="module")
def exporter(daemon):
    with exporter_process(daemon.host, daemon.root / "exporter.log", "--fs-interval", "1") as port:
        yield port


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, daemon, exporter):
    """A Prometheus of the test's own on a loopback port, scraping every second and loading rules.yml."""
    root = tmp_path_factory.mktemp("prometheus")
    port, dead_port = free_port(), free_port()
    config = {  # YAML is a superset of JSON
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(DASHBOARDS / "rules.yml")],
        "scrape_configs": [
            {
                "job_name": "porthole-daemon",
                "static_configs": [{"targets": [f"127.0.0.1:{daemon.metrics_port}"], "labels": {"host": "here"}}],
            },
            # the second target answers nothing: PortholeTargetDown must notice
            {
                "job_name": "porthole-exporter",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{exporter}", f"127.0.0.1:{dead_port}"], "labels": {"host": "here"}}
                ],
            },
        ],
    }
    (root / "prometheus.yml").write_text(json.dumps(config))
    with open(root / "prometheus.log", "wb") as log:
        process = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=log,
        )
    try:
        wait_for(
            lambda: process.poll() is None and get(port, "/-/ready") is not None,
            timeout=30,
            what=f"Prometheus ready (log: {root / 'prometheus.log'})",
        )
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def api(port: int, path: str, **params: str) -> dict:
    body = get(port, f"/api/v1/{path}?{urllib.parse.urlencode(params)}")
    assert body is not None, f"Prometheus did not answer /api/v1/{path}"
    reply = json.loads(body)
    assert reply["status"] == "success", reply
    return reply["data"]


def query(port: int, expr: str) -> list:
    body = get(port, "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    reply = json.loads(body) if body else {"status": "no answer"}
    assert reply["status"] == "success", f"{expr!r} does not evaluate: {reply}"
    return reply["data"]["result"]


SPIN = "while :; do :; done"
FILL_SHM = "dd if=/dev/zero of=/dev/shm/fill bs=1M count=30 && sleep 1000"  # 30 of 32 MiB: above 90%
CRASH = "sleep 0.2; exit 1"
# the shipper cannot deliver: shipping errors, lag and a retrying shipper for the logging panels
LOG_TO_NOWHERE = ("--log-driver", "fluentd", "--log-opt", "fluentd-address=127.0.0.1:1")
LOG_TO_NOWHERE += ("--log-opt", "fluentd-async=true")
SYNC_WRITES = "while :; do dd if=/dev/zero of=/synced bs=1M count=1 conv=fsync 2>/dev/null; sleep 0.5; done"


@pytest.fixture(scope="module")
def es_server(tmp_path_factory):
    with ElasticsearchServer(tmp_path_factory.mktemp("noida") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def scenario(daemon, prometheus, es_server):
    """Containers that give every panel and alert something to show."""
    run = lambda *args: daemon.docker("run", "-d", *args, check=True)  # noqa: E731
    try:
        run("--name", "throttled", "--cpus", "0.2", "busybox", "sh", "-c", SPIN)
        run("--name", "near-limit", "-m", "32m", "busybox", "sh", "-c", FILL_SHM)
        run("--name", "looping", "--restart", "always", "busybox", "sh", "-c", CRASH)
        run("--name", "writer", "-l", "com.example.team=storage", "busybox", "sh", "-c", SYNC_WRITES)
        run("--name", "survivor", "-m", "16m", "busybox", "sleep", "1000")
        run("--name", "chatty", *LOG_TO_NOWHERE, "busybox", "sh", "-c", "while :; do date; sleep 0.2; done")
        to_es = ("--log-driver", "elasticsearch", "--log-opt", f"elasticsearch-url={es_server.url}")
        run("--name", "searchable", *to_es, "busybox", "sh", "-c", "while :; do date; sleep 0.2; done")
        assert daemon.docker("inspect", "no-such-container").returncode == 1  # a 404 for the API panels
        # one that is gone: seen in the last minutes, seen no more (ContainerDown)
        run("--name", "departed", "busybox", "sleep", "1000")
        wait_for(
            lambda: query(prometheus, 'container_last_seen{name="departed"}'),
            timeout=20,
            what="Prometheus to scrape the departed container",
        )
        daemon.docker("rm", "-f", "departed", check=True)
        # increase() needs a sample from before the OOM kill: wait until Prometheus has one
        for expr in ('container_oom_events_total{name="survivor"}', "porthole_container_oom_kills_total"):
            wait_for(lambda e=expr: query(prometheus, e), timeout=20, what=f"Prometheus to scrape {expr}")
        assert daemon.docker("exec", "survivor", "tail", "/dev/zero").returncode == 137
        run("--name", "victim", "-m", "16m", "busybox", "tail", "/dev/zero")
        yield
    finally:
        daemon.remove_everything()


def substitute(expr: str) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: VARIABLES[m.group(1)], expr)


def panel_expressions(board: dict) -> list[tuple[str, str]]:
    found = []
    for panel in board["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                found.append((f"{board['title']} / {inner['title']}", substitute(target["expr"])))
    return found


def test_promtool_accepts_the_config_and_the_rules():
    for command in (
        ["check", "config", str(DASHBOARDS / "prometheus.yml")],
        ["check", "rules", str(DASHBOARDS / "rules.yml")],
    ):
        result = subprocess.run(["promtool", *command], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout


def test_every_dashboard_and_rule_expression_returns_series(prometheus, scenario):
    rules = [rule for group in api(prometheus, "rules")["groups"] for rule in group["rules"]]
    expressions = [(f"rule {r['name']}", r["query"].replace(*UNPROVOKED.get(r["name"], ("", "")))) for r in rules]
    assert all(r["query"].endswith(UNPROVOKED[r["name"]][0]) for r in rules if r["name"] in UNPROVOKED)
    for board in (json.loads(p.read_text()) for p in BOARDS):
        expressions += panel_expressions(board)
    assert len(expressions) > 50

    def empty() -> list[tuple[str, str]]:
        return [(where, expr) for where, expr in expressions if not query(prometheus, expr)]

    deadline = time.monotonic() + 60
    left = empty()
    while left and time.monotonic() < deadline:
        time.sleep(1)
        left = empty()
    assert left == []


def test_every_alert_goes_pending_or_fires(prometheus, scenario):
    def active() -> set[str]:
        return {
            a["labels"]["alertname"] for a in api(prometheus, "alerts")["alerts"] if a["state"] in ("pending", "firing")
        }

    wait_for(
        lambda: ALERTS_EXPECTED <= active(),
        timeout=60,
        interval=1.0,
        what=f"alerts {sorted(ALERTS_EXPECTED)} (active: {sorted(active())})",
    )
    rules = [rule for group in api(prometheus, "rules")["groups"] for rule in group["rules"]]
    assert [(r["name"], r["lastError"]) for r in rules if r["health"] != "ok"] == []


def test_every_dashboard_variable_finds_values(prometheus, scenario):
    for board in (json.loads(p.read_text()) for p in BOARDS):
        for variable in board["templating"]["list"]:
            if variable["type"] != "query":
                continue
            m = re.fullmatch(r"label_values\((.+), (\w+)\)", substitute(variable["query"]["query"]))
            assert m, f"{board['title']}: variable {variable['name']} is not label_values(selector, label)"
            selector, label = m.groups()
            found = wait_for(
                lambda s=selector: api(prometheus, "series", **{"match[]": s}),
                timeout=30,
                interval=1.0,
                what=f"series for {selector}",
            )
            assert all(label in series for series in found), f"{selector} has no label {label}"
