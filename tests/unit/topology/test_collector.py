"""The collector: a host's newest report replaces its last, silent hosts leave the map, and each node keeps
a few minutes of samples."""

from dataclasses import replace

from tests.unit.topology.reports import CLIENT_ID, IDLE_ID, host, report, talking_host
from web.topology.collector import Collector
from web.topology.nodes import container_node, host_node


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_new_report_replaces_the_hosts_last_one():
    collector = Collector(clock=Clock())
    collector.add(talking_host(t=1.0))
    assert container_node(IDLE_ID) in collector.graph("containers").nodes
    without_idle = talking_host(t=2.0)
    without_idle = replace(without_idle, containers=tuple(c for c in without_idle.containers if c.id != IDLE_ID))
    collector.add(without_idle)
    assert container_node(IDLE_ID) not in collector.graph("containers").nodes
    collector.add(talking_host(t=1.5))  # late: older than what the host already said
    assert container_node(IDLE_ID) not in collector.graph("containers").nodes


def test_a_host_that_stops_reporting_leaves_the_map_after_the_window():
    clock = Clock()
    collector = Collector(window=15, clock=clock)
    collector.add(talking_host())
    collector.add(report(host("other", addresses=("10.9.9.9",))))
    clock.now += 10
    collector.add(talking_host(t=200.0))
    before = collector.generation
    clock.now += 10  # "other" has been silent for 20 s
    assert set(collector.graph("hosts").nodes) == {host_node("vm")}
    assert collector.generation > before
    assert [p["host"] for p in collector.probes()] == ["vm"]


def test_each_node_keeps_its_samples_at_most_one_a_second_for_the_history():
    clock = Clock()
    collector = Collector(history=60, clock=clock)
    for i in range(200):  # 100 s of reports, two a second
        clock.now += 0.5
        collector.add(talking_host(t=float(i)))
    samples = collector.samples(container_node(CLIENT_ID), "memory")
    assert len(samples) in (60, 61)
    assert all(b[0] - a[0] >= 1.0 for a, b in zip(samples, samples[1:], strict=False))
    assert samples[-1][1] == 1 << 20
