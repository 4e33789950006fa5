"""dashboards/ as files: Grafana dashboards that provisioning can load (unique uids, a Prometheus data
source variable that every panel uses), and rules and scrape config that name what the code exports.
(tests/integration/test_exporter_prometheus.py runs them through Prometheus.)"""

import json
import re
from pathlib import Path

import pytest

from exporter.container_metrics import CONTAINER_METRICS

DASHBOARDS = Path(__file__).resolve().parents[3] / "dashboards"
BOARDS = sorted((DASHBOARDS / "grafana").glob("*.json"))
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panels(board: dict) -> list[dict]:
    return [inner for panel in board["panels"] for inner in [panel, *panel.get("panels", [])]]


def test_two_boards_with_their_own_uids():
    boards = [json.loads(p.read_text()) for p in BOARDS]
    assert [p.name for p in BOARDS] == ["container-overview.json", "engine.json"]
    uids = [b["uid"] for b in boards]
    assert len(set(uids)) == len(uids)
    ids = [[p["id"] for p in panels(b)] for b in boards]
    assert all(len(set(i)) == len(i) for i in ids)


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.name)
def test_every_panel_queries_the_chosen_prometheus(path):
    board = json.loads(path.read_text())
    assert "__inputs" not in board and board.get("id") is None  # provisioning-ready, not an export to import
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE
    for panel in panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        assert all(t["datasource"] == DATASOURCE and t["expr"] for t in panel["targets"]), panel["title"]
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]


def test_the_container_board_reads_only_metrics_that_exist():
    """Every container_* name a board or rule reads is one the exporter's table has (a typo would show an
    empty panel, not an error)."""
    exported = {spec.name for spec in CONTAINER_METRICS} | {"container_scrape_error"}
    text = "".join(p.read_text() for p in BOARDS) + (DASHBOARDS / "rules.yml").read_text()
    used = set(re.findall(r"(?<![:\w])container_[a-z_]+\b(?!:)", text))  # not recording rules (a:b:c)
    labels = {"container_id", "container_name"}  # the logging counters' labels, not metrics
    assert used - exported - labels == set()


def test_the_container_boards_host_variable_reads_the_exporters_own_host_label():
    """The Host variable comes from a series the exporter labels `host` itself (exporter/machine.py), so it lists
    every host whatever the scrape configuration; the config keeps that label (honor_labels) where it scrapes
    the exporter."""
    board = json.loads((DASHBOARDS / "grafana" / "container-overview.json").read_text())
    host = next(v for v in board["templating"]["list"] if v["name"] == "host")
    assert host["query"]["query"] == "label_values(machine_cpu_cores, host)"
    config = (DASHBOARDS / "prometheus.yml").read_text()
    exporter_job = config[config.index("job_name: porthole-exporter") :].split("\n\n")[0]
    assert "honor_labels: true" in exporter_job


def test_prometheus_config_scrapes_the_daemon_and_the_exporter():
    config = (DASHBOARDS / "prometheus.yml").read_text()
    assert "job_name: porthole-daemon" in config and '"127.0.0.1:9323"' in config
    assert "job_name: porthole-exporter" in config and '"127.0.0.1:9338"' in config
    assert "rule_files:\n  - rules.yml" in config


def test_prometheus_sends_alerts_to_alertmanager_and_alertmanager_groups_by_host_and_container():
    config = (DASHBOARDS / "prometheus.yml").read_text()
    assert 'alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:9093"]' in config
    routing = (DASHBOARDS / "alertmanager.yml").read_text()
    assert "group_by: [instance, name]" in routing
    assert "send_resolved: true" in routing and "webhook_configs:" in routing


def test_the_alerts_cover_what_an_operator_needs():
    rules = (DASHBOARDS / "rules.yml").read_text()
    alerts = set(re.findall(r"- alert: (\w+)", rules))
    assert alerts == {
        "ContainerDown",
        "ContainerRestartLoop",
        "ContainerMemoryNearLimit",
        "ContainerOOMKilled",
        "ContainerExitedOnOOM",
        "ContainerCPUThrottled",
        "ContainerLogLinesDropped",
        "ContainerLogWritesFailing",
        "PortholeRecordsWaitingForDisk",
        "ContainerLogShippingLagging",
        "LogCollectorUnreachable",
        "PortholeTargetDown",
        "PortholeNotScraped",
    }
