import pytest

from exporter.readers.samples import (
    BlkioDevice,
    CgroupStats,
    CpuStats,
    HostStats,
    InterfaceCounters,
    MemoryStats,
    PidsStats,
)
from web.columns import cgroup_columns, cpu_percent, host_columns, network_columns


def counters(n: int) -> InterfaceCounters:
    return InterfaceCounters(n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7)


def test_cgroup_columns_keep_what_the_reader_returned_and_sum_devices():
    stats = CgroupStats(
        cpu=CpuStats(usage_ns=500, user_ns=300, system_ns=None, per_cpu_ns=(200, 300), nr_throttled=4),
        memory=MemoryStats(usage=4096, working_set=2048, limit=None, rss=1024),
        pids=PidsStats(current=3, limit=None),
        blkio=(BlkioDevice(8, 0, read_bytes=10, write_bytes=20), BlkioDevice(8, 16, read_bytes=1, write_ops=7)),
    )
    assert cgroup_columns(stats) == {
        "cpu.usage_ns": 500,
        "cpu.user_ns": 300,
        "cpu.throttled_periods": 4,
        "cpu.percpu.0": 200,
        "cpu.percpu.1": 300,
        "memory.usage": 4096,
        "memory.working_set": 2048,
        "memory.rss": 1024,
        "pids.current": 3,
        "blkio.read_bytes": 11,
        "blkio.write_bytes": 20,
        "blkio.read_ops": 0,
        "blkio.write_ops": 7,
    }


def test_an_empty_sample_gives_an_empty_row():
    assert cgroup_columns(CgroupStats()) == {}


def test_network_columns_skip_cadvisors_ignored_interfaces():
    row = network_columns({"lo": counters(1), "veth1a2b": counters(2), "eth0": counters(10), "docker0": counters(3)})
    assert row["net.eth0.rx_bytes"] == 10
    assert row["net.eth0.tx_dropped"] == 17
    assert len(row) == 8


def test_host_columns_are_the_load_averages():
    assert host_columns(HostStats(load=(0.5, 0.25, 0.125))) == {"load.1": 0.5, "load.5": 0.25, "load.15": 0.125}
    assert host_columns(HostStats()) == {}


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([(1.0, {"pid": 7, "cpu.usage_ns": 0}), (2.0, {"pid": 7, "cpu.usage_ns": 5e8})], 50.0),
        ([(1.0, {"pid": 7, "cpu.usage_ns": 0}), (3.0, {"pid": 7, "cpu.usage_ns": 4e9})], 200.0),
        ([(1.0, {"pid": 7, "cpu.usage_ns": 9e9}), (2.0, {"pid": 8, "cpu.usage_ns": 1e6})], None),  # restarted
        ([(1.0, {"pid": 7, "cpu.usage_ns": 9e9}), (2.0, {"pid": 7, "cpu.usage_ns": 1e6})], None),  # reset
        ([(1.0, {"pid": 7}), (2.0, {"pid": 7, "cpu.usage_ns": 1e6})], None),
        ([(2.0, {"pid": 7, "cpu.usage_ns": 0})], None),
        ([], None),
    ],
)
def test_cpu_percent_between_the_last_two_rows(rows, expected):
    assert cpu_percent(rows) == expected
