"""The alerts a test daemon cannot provoke on demand, fired by Prometheus' own rule evaluator (`promtool test
rules`) from the series a full disk makes: failed log writes and records waiting for the disk."""

import json
import subprocess
from pathlib import Path

DASHBOARDS = Path(__file__).resolve().parents[3] / "dashboards"

# YAML is a superset of JSON: promtool's test file written with json.dumps
RULE_TESTS = {
    "rule_files": [str(DASHBOARDS / "rules.yml")],
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                {  # a container whose log writes fail from minute 2 on
                    "series": 'porthole_log_dropped_lines_total{instance="h:9323", container_id="c1", '
                    'container_name="flood", driver="json-file", reason="write_failed"}',
                    "values": "0 0 0 500 1000 1500 2000 2500 3000 3500",
                },
                {  # a quiet one: no alert
                    "series": 'porthole_log_dropped_lines_total{instance="h:9323", container_id="c2", '
                    'container_name="quiet", driver="json-file", reason="write_failed"}',
                    "values": "0x9",
                },
                {  # two states unsaved from minute 3 on; none other
                    "series": 'porthole_engine_deferred_work{instance="h:9323", kind="state"}',
                    "values": "0 0 0 2 2 2 2 2 2 2",
                },
                {"series": 'porthole_engine_deferred_work{instance="h:9323", kind="network"}', "values": "0x9"},
            ],
            "alert_rule_test": [
                {"eval_time": "2m", "alertname": "ContainerLogWritesFailing", "exp_alerts": []},
                {
                    "eval_time": "6m",
                    "alertname": "ContainerLogWritesFailing",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "critical",
                                "instance": "h:9323",
                                "container_name": "flood",
                                "name": "flood",
                            },
                            "exp_annotations": {
                                "summary": "Container flood loses log lines: its log cannot be written",
                                "description": "2k log lines of flood (h:9323) could not be written to its local "
                                "log in the last 5 minutes and are lost: the daemon's data root is full or "
                                "read-only. Free space there (docker logs of the loudest container, or its "
                                "removal, shows where it went).",
                            },
                        }
                    ],
                },
                {"eval_time": "6m", "alertname": "ContainerLogLinesDropped", "exp_alerts": []},
                {"eval_time": "3m", "alertname": "PortholeRecordsWaitingForDisk", "exp_alerts": []},
                {
                    "eval_time": "5m",
                    "alertname": "PortholeRecordsWaitingForDisk",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "critical", "instance": "h:9323", "kind": "state"},
                            "exp_annotations": {
                                "summary": "porthole on h:9323 cannot write container state records",
                                "description": "2 container state records or cleanups have waited over a minute "
                                "for the data root, which is full or read-only: what the containers did is kept "
                                "in memory and is written once space returns, but a daemon crash meanwhile loses "
                                "it (a restart reconciles from the kernel).",
                            },
                        }
                    ],
                },
            ],
        }
    ],
}


def test_a_full_disk_fires_the_failed_write_and_waiting_record_alerts(tmp_path):
    tests = tmp_path / "rule-tests.yml"
    tests.write_text(json.dumps(RULE_TESTS))
    result = subprocess.run(["promtool", "test", "rules", str(tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
