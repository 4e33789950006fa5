"""The stats table's numbers, computed as docker/cli's stats_helpers.go computes them."""

import pytest

from porthole.cli.stats import block_io, cpu_percent, memory_percent, memory_usage, network_io, stats_row

SAMPLE = {
    "id": "f" * 64,
    "name": "/web",
    "cpu_stats": {"cpu_usage": {"total_usage": 400_000_000}, "system_cpu_usage": 20_000_000_000, "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 200_000_000}, "system_cpu_usage": 18_000_000_000},
    "memory_stats": {"usage": 10 << 20, "limit": 100 << 20, "stats": {"total_inactive_file": 2 << 20}},
    "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 500}, "eth1": {"rx_bytes": 500, "tx_bytes": 0}},
    "blkio_stats": {
        "io_service_bytes_recursive": [
            {"major": 8, "minor": 0, "op": "Read", "value": 4096},
            {"major": 8, "minor": 0, "op": "write", "value": 8192},
            {"major": 8, "minor": 0, "op": "Total", "value": 12288},
            {"major": 8, "minor": 0, "op": "", "value": 1},
        ]
    },
    "pids_stats": {"current": 3},
}


def test_cpu_percent_is_delta_over_system_delta_times_cpus():
    assert cpu_percent(SAMPLE) == pytest.approx(200_000_000 / 2_000_000_000 * 2 * 100)


@pytest.mark.parametrize(
    "change",
    [
        {"precpu_stats": {}, "cpu_stats": {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 5}},
        {
            "cpu_stats": {
                "cpu_usage": {"total_usage": 400_000_000},
                "system_cpu_usage": 18_000_000_000,
                "online_cpus": 2,
            }
        },
    ],
)
def test_cpu_percent_is_zero_unless_both_deltas_are_positive(change):
    assert cpu_percent({**SAMPLE, **change}) == 0.0


def test_online_cpus_fall_back_to_the_per_cpu_list():
    sample = {
        **SAMPLE,
        "cpu_stats": {
            "cpu_usage": {"total_usage": 400_000_000, "percpu_usage": [1, 1, 1, 1]},
            "system_cpu_usage": 20_000_000_000,
        },
    }
    assert cpu_percent(sample) == pytest.approx(40.0)


@pytest.mark.parametrize(
    ("memory", "used"),
    [
        ({"usage": 10, "stats": {"total_inactive_file": 4, "inactive_file": 1}}, 6),  # cgroup v1 first
        ({"usage": 10, "stats": {"inactive_file": 3}}, 7),  # cgroup v2
        ({"usage": 10, "stats": {"total_inactive_file": 20, "inactive_file": 3}}, 7),
        ({"usage": 10, "stats": {"inactive_file": 30}}, 10),
        ({"usage": 10}, 10),
        ({}, 0),
    ],
)
def test_memory_usage_leaves_out_inactive_file_cache(memory, used):
    assert memory_usage({"memory_stats": memory}) == used


def test_memory_percent():
    assert memory_percent(25, 100) == 25.0
    assert memory_percent(25, 0) == 0.0


def test_io_sums():
    assert network_io(SAMPLE) == (2000, 500)
    assert block_io(SAMPLE) == (4096, 8192)


def test_stats_row():
    assert stats_row(SAMPLE) == [
        "ffffffffffff",
        "web",
        "20.00%",
        "8MiB / 100MiB",
        "8.00%",
        "2kB / 500B",
        "4.1kB / 8.19kB",
        "3",
    ]


def test_a_stopped_containers_row_is_zeros():
    assert stats_row({"id": "a" * 64, "name": "/gone"}) == [
        "aaaaaaaaaaaa",
        "gone",
        "0.00%",
        "0B / 0B",
        "0.00%",
        "0B / 0B",
        "0B / 0B",
        "0",
    ]
