"""ContainerExporter.render() over a fake host: cAdvisor's series with the fixture's numbers, the root
group, machine metrics, and what a vanished group or a garbled file does to a scrape."""

import shutil
import socket
import time
from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.container_exporter import ContainerExporter
from exporter.machine import MachineIdentity
from exporter.readers.cgroup import read_cgroup
from exporter.readers.samples import CgroupPaths
from exporter.self_metrics import ExporterMetrics
from exporter.targets import Target
from tests.unit.exporter.conftest import GROUP, NET_DEV, write_tree
from tests.unit.exporter.fakes import FakeSource

CONTROLLERS = ("cpu", "cpuacct", "memory", "pids", "blkio")
IDENTITY = MachineIdentity(machine_id="m1", boot_id="b1", system_uuid="")


@pytest.fixture
def target(v1_host, tmp_path):
    paths = CgroupPaths("v1", {c: v1_host["cgroup"] / c / GROUP for c in CONTROLLERS})
    upper = tmp_path / "upper"
    upper.mkdir()
    (upper / "data").write_bytes(b"x" * 10000)
    return Target(
        id="/" + GROUP,
        paths=paths,
        pid=42,
        name="web",
        image="nginx:1",
        labels={"com.example.team": "front"},
        started_at=1795800000.25,
        created_at=1795799999.5,
        upper_dir=str(upper),
        spec=read_cgroup(paths)[0].spec,
    )


@pytest.fixture
def source(target):
    return FakeSource((target,))


@pytest.fixture
def exporter(v1_host, source):
    exporter = ContainerExporter(
        source,
        ExporterMetrics(),
        cgroup_root=v1_host["cgroup"],
        proc_root=v1_host["proc"],
        sys_root=v1_host["sys"],
        identity=IDENTITY,
        host="node-1",
    )
    exporter.start()
    yield exporter
    exporter.close()


def samples(exporter) -> list:
    text = exporter.render().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def one(found, metric, /, **labels):
    matching = [s.value for s in found if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matching) == 1, f"{len(matching)} samples of {metric} {labels}"
    return matching[0]


def test_a_containers_series_carry_the_kernels_numbers(exporter):
    found = samples(exporter)
    c = {"name": "web", "id": "/docker/abc", "image": "nginx:1", "container_label_com_example_team": "front"}
    assert one(found, "container_memory_usage_bytes", **c) == 10485760
    assert one(found, "container_memory_working_set_bytes", **c) == 10485760 - 2097152
    assert one(found, "container_memory_rss", **c) == 8192
    assert one(found, "container_memory_failcnt", **c) == 3
    assert one(found, "container_oom_events_total", **c) == 1
    assert one(found, "container_memory_failures_total", failure_type="pgmajfault", scope="container", **c) == 10
    assert one(found, "container_cpu_usage_seconds_total", cpu="cpu00", **c) == 0.1
    assert one(found, "container_cpu_usage_seconds_total", cpu="cpu01", **c) == 0.023456789
    assert one(found, "container_cpu_user_seconds_total", **c) == 0.07
    assert one(found, "container_cpu_cfs_throttled_periods_total", **c) == 2  # a quota is set: cfs series
    assert one(found, "container_network_receive_bytes_total", interface="eth0", **c) == 40858424
    assert one(found, "container_network_transmit_packets_dropped_total", interface="eth0", **c) == 4
    assert not [s for s in found if s.labels.get("interface") == "lo"]  # cAdvisor leaves lo out
    assert one(found, "container_fs_reads_bytes_total", device="/dev/vda", **c) == 4096
    assert one(found, "container_fs_writes_total", device="8:16", **c) == 6  # no uevent: major:minor
    assert one(found, "container_blkio_device_usage_total", operation="Write", major="254", minor="0", **c) == 8192
    assert one(found, "container_fs_usage_bytes", **c) >= 10000
    assert one(found, "container_threads", **c) == 3
    assert one(found, "container_threads_max", **c) == 0  # pids.max "max"
    assert one(found, "container_spec_memory_limit_bytes", **c) == 67108864
    assert one(found, "container_spec_memory_reservation_limit_bytes", **c) == 0  # unlimited, as cAdvisor
    assert one(found, "container_spec_cpu_quota", **c) == 50000
    assert one(found, "container_start_time_seconds", **c) == 1795800000.25
    assert one(found, "container_last_seen", **c) == pytest.approx(time.time(), abs=5)


def test_the_root_group_and_the_machine(exporter):
    found = samples(exporter)
    root = {"id": "/", "name": "", "image": "", "container_label_com_example_team": ""}
    assert one(found, "container_memory_usage_bytes", **root) == 10485760
    assert one(found, "container_network_receive_bytes_total", interface="eth0", **root) == 40858424  # pid 1
    assert not [s for s in found if s.name == "container_threads" and s.labels["id"] == "/"]
    assert one(found, "machine_cpu_cores", machine_id="m1", boot_id="b1", system_uuid="") == 2
    assert one(found, "machine_memory_bytes") == 24684096 * 1024
    assert one(found, "container_scrape_error") == 0
    assert one(found, "porthole_exporter_containers") == 2


def test_every_series_of_the_exporter_carries_its_host(exporter):
    # the exporter's own health (container_scrape_error, porthole_exporter_*) is the scrape target's to label
    found = [
        s
        for s in samples(exporter)
        if s.name.startswith(("container_", "machine_")) and s.name != "container_scrape_error"
    ]
    assert found and {s.labels.get("host") for s in found} == {"node-1"}
    assert one(found, "container_last_seen", name="web", host="node-1")
    assert one(found, "machine_cpu_cores", host="node-1", machine_id="m1") == 2


def test_the_host_label_defaults_to_the_hostname(v1_host, source):
    exporter = ContainerExporter(source, ExporterMetrics(), cgroup_root=v1_host["cgroup"], identity=IDENTITY)
    assert one(samples(exporter), "container_last_seen", name="web", host=socket.gethostname())


def test_label_names_follow_the_current_targets(exporter, source, target):
    source.current = (target, replace(target, id="/docker/def", name="db", labels={"tier": "data"}))
    found = samples(exporter)
    assert (
        one(found, "container_last_seen", name="db", container_label_tier="data", container_label_com_example_team="")
        > 0
    )
    assert one(found, "container_last_seen", id="/", container_label_tier="") > 0


def test_a_vanished_group_leaves_the_scrape_without_an_error(exporter, source, v1_host):
    shutil.rmtree(v1_host["cgroup"] / "memory" / GROUP)
    found = samples(exporter)
    assert not [s for s in found if s.labels.get("name") == "web"]
    assert one(found, "container_scrape_error") == 0
    assert one(found, "porthole_exporter_vanished_containers_total") == 1
    assert source.stale_calls == 1


def test_a_garbled_file_costs_its_values_and_is_counted(exporter, v1_host):
    (v1_host["cgroup"] / "memory" / GROUP / "memory.usage_in_bytes").write_text("lots\n")
    found = samples(exporter)
    assert not [s for s in found if s.name == "container_memory_usage_bytes" and s.labels["name"] == "web"]
    assert one(found, "container_memory_rss", name="web") == 8192
    assert one(found, "container_scrape_error") == 1
    assert one(found, "porthole_exporter_read_errors_total", file="memory.usage_in_bytes") == 1


def test_every_family_is_announced_once_with_a_known_type(exporter):
    text = exporter.render().decode()
    types = [line.split()[2:] for line in text.splitlines() if line.startswith("# TYPE ")]
    names = [name for name, _ in types]
    assert len(names) == len(set(names))
    assert {kind for _, kind in types} <= {"counter", "gauge", "untyped", "histogram"}
    assert all(name.endswith("_total") for name, kind in types if kind == "counter")


def test_a_v2_host(v2_root, proc_root, tmp_path):
    write_tree(v2_root, {"cpu.stat": "usage_usec 9000000\n", "memory.stat": "anon 10\nfile 20\n"})
    write_tree(proc_root / "1" / "net", {"dev": NET_DEV})
    paths = CgroupPaths("v2", {"": v2_root / GROUP})
    target = Target(id="/" + GROUP, paths=paths, pid=42, name="v2", spec=read_cgroup(paths)[0].spec)
    exporter = ContainerExporter(
        FakeSource((target,)),
        ExporterMetrics(),
        cgroup_root=v2_root,
        proc_root=proc_root,
        sys_root=tmp_path / "sys",
        identity=IDENTITY,
    )
    found = samples(exporter)
    assert one(found, "container_cpu_usage_seconds_total", name="v2", cpu="total") == 0.123456  # no per-CPU on v2
    assert one(found, "container_cpu_usage_seconds_total", id="/", cpu="total") == 9.0
    assert one(found, "container_memory_usage_bytes", id="/") == 30  # anon + file
    assert one(found, "container_pressure_memory_stalled_seconds_total", name="v2") == 20e-6
    assert one(found, "container_pressure_cpu_waiting_seconds_total", name="v2") == 1500e-6
    assert not [s for s in found if s.name == "container_pressure_cpu_stalled_seconds_total"]  # no "full" line
    assert one(found, "container_memory_events_max_total", name="v2") == 5
    assert one(found, "container_spec_cpu_shares", name="v2") == 2597
    assert one(found, "container_threads_max", name="v2") == 50
    assert one(found, "container_scrape_error") == 0
