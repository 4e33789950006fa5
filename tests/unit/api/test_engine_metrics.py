"""The engine's count of unread `docker stats` files, in its metrics (the rest is in tests/unit/serve)."""

from prometheus_client.parser import text_string_to_metric_families

from runtime.api.metrics import EngineMetrics
from runtime.api.router import Router
from runtime.engine.events import EventBus


def samples(metrics: EngineMetrics) -> dict[str, float]:
    text = metrics.render().decode()
    return {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples}


def test_stats_read_errors_are_exported_as_a_counter():
    errors = [0]
    metrics = EngineMetrics(EventBus(), list, Router(), stats_read_errors=lambda: errors[0])
    try:
        assert samples(metrics)["porthole_stats_read_errors_total"] == 0
        errors[0] = 7
        assert samples(metrics)["porthole_stats_read_errors_total"] == 7
        families = text_string_to_metric_families(metrics.render().decode())
        assert next(f for f in families if f.name == "porthole_stats_read_errors").type == "counter"
    finally:
        metrics.close()
