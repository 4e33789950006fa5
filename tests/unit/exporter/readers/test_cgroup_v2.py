"""read_cgroup on a fake cgroup v2 group."""

from dataclasses import replace
from pathlib import Path

import pytest

from exporter.readers.cgroup import cgroup_paths_of_pid, read_cgroup
from exporter.readers.samples import (
    BlkioDevice,
    CgroupPaths,
    CgroupStats,
    CpuStats,
    MemoryStats,
    PidsStats,
    Pressure,
    SpecStats,
)

GROUP = "docker/abc"  # the group the fixture trees hold (conftest.py)
NOENT = "No such file or directory"
INT = "expected an integer"


def paths(root: Path) -> CgroupPaths:
    return CgroupPaths("v2", {"": root / GROUP})


def expected_stats(stat: dict) -> CgroupStats:
    return CgroupStats(
        cpu=CpuStats(
            usage_ns=123456000,
            user_ns=100000000,
            system_ns=23456000,
            nr_periods=10,
            nr_throttled=2,
            throttled_ns=5000000,
            nr_bursts=1,
            burst_ns=7000,
        ),
        memory=MemoryStats(
            usage=10485760,
            max_usage=20971520,
            limit=67108864,
            swap=512,
            cache=4096,
            rss=8192,
            mapped_file=1024,
            active_file=1048576,
            inactive_file=2097152,
            working_set=10485760 - 2097152,
            pgfault=100,
            pgmajfault=10,
            oom_kills=1,
            events_high=4,
            events_max=5,
            stat=stat,
        ),
        pids=PidsStats(current=3, limit=50),
        blkio=(
            BlkioDevice(254, 0, 4096, 8192, read_ops=4, write_ops=8, discard_bytes=512),
            BlkioDevice(8, 16, read_bytes=1, write_bytes=2, read_ops=5, write_ops=6),
        ),
        pressure={
            "cpu": Pressure(some_ns=1500000, full_ns=None),
            "memory": Pressure(some_ns=30000, full_ns=20000),
            "io": Pressure(some_ns=9000, full_ns=4000),
        },
        spec=SpecStats(
            cpu_shares=2597,  # cpu.weight 100 through cAdvisor's linear inverse
            cpu_quota=50000,
            cpu_period=100000,
            memory_limit=67108864,
            memory_reservation=33554432,
            memory_swap_limit=0,  # "max"
        ),
    )


def test_reads_every_counter(v2_root):
    stats, errors = read_cgroup(paths(v2_root))
    assert errors == []
    assert stats == expected_stats(stats.memory.stat)
    assert stats.memory.stat["file_dirty"] == 5


def test_paths_of_a_pid(v2_root, tmp_path):
    proc = tmp_path / "proc"
    (proc / "7").mkdir(parents=True)
    (proc / "7" / "cgroup").write_text(f"0::/{GROUP}\n")
    assert cgroup_paths_of_pid(7, proc_root=proc, cgroup_root=v2_root) == paths(v2_root)


@pytest.mark.parametrize(
    "name, content, changed, cause",
    [
        ("memory.current", None, {"memory": {"usage": None, "working_set": None}}, NOENT),
        ("cpu.stat", "usage_usec 1\nuser_usec x\n", {}, "invalid line 'user_usec x': expected 'key integer'"),
        ("pids.current", "three\n", {"pids": {"current": None}}, "invalid value 'three': " + INT),
        ("cpu.max", "50000\n", {"spec": {"cpu_quota": None, "cpu_period": None}}, None),
        ("memory.low", "lots\n", {"spec": {"memory_reservation": None}}, "invalid value 'lots': " + INT),
    ],
)
def test_a_bad_file_costs_only_its_own_values(v2_root, name, content, changed, cause):
    target = v2_root / GROUP / name
    if content is None:
        target.unlink()
    else:
        target.write_text(content)
    stats, errors = read_cgroup(paths(v2_root))
    expected = expected_stats(stats.memory.stat)
    for part, fields in changed.items():
        expected = replace(expected, **{part: replace(getattr(expected, part), **fields)})
    if name == "cpu.stat":
        expected = replace(expected, cpu=CpuStats(usage_ns=1000))
    assert stats == expected
    cause = cause or "invalid value '50000': expected '<quota|max> <period>'"
    assert [(e.path, e.cause) for e in errors] == [(target, cause)]


@pytest.mark.parametrize(
    "name, content, check",
    [
        ("memory.max", "max\n", lambda s: (s.memory.limit, s.spec.memory_limit) == (None, 0)),
        ("cpu.max", "max 100000\n", lambda s: (s.spec.cpu_quota, s.spec.cpu_period) == (None, 100000)),
        ("cpu.weight", "1\n", lambda s: s.spec.cpu_shares == 2),
        ("cpu.weight", "10000\n", lambda s: s.spec.cpu_shares == 262144),
        ("pids.max", "max\n", lambda s: s.pids.limit is None),
        ("memory.stat", "anon 1\n", lambda s: s.memory.working_set == 10485760),  # no inactive_file
        ("memory.current", "1000\n", lambda s: s.memory.working_set == 0),  # floored at 0
    ],
)
def test_limits_and_derived_values(v2_root, name, content, check):
    (v2_root / GROUP / name).write_text(content)
    stats, errors = read_cgroup(paths(v2_root))
    assert errors == []
    assert check(stats)


@pytest.mark.parametrize(
    "name", ["memory.peak", "memory.swap.current", "memory.swap.max", "cpu.pressure", "io.pressure"]
)
def test_files_a_kernel_may_lack_are_not_errors(v2_root, name):
    (v2_root / GROUP / name).unlink()
    _, errors = read_cgroup(paths(v2_root))
    assert errors == []


def test_controllers_not_enabled_are_not_read(v2_root):
    group = v2_root / GROUP
    (group / "cgroup.controllers").write_text("cpu memory\n")
    for name in ("io.stat", "pids.current", "pids.max"):
        (group / name).unlink()
    stats, errors = read_cgroup(paths(v2_root))
    assert errors == []
    assert (stats.pids, stats.blkio) == (None, ())
    assert stats.memory.usage == 10485760


def test_garbage_in_io_stat_and_psi_is_reported(v2_root):
    group = v2_root / GROUP
    (group / "io.stat").write_text("254:0 rbytes=x\n8:0 rbytes=1\n")
    (group / "memory.pressure").write_text("some avg10=0.00 total=\n")
    stats, errors = read_cgroup(paths(v2_root))
    assert stats.blkio == (BlkioDevice(8, 0, read_bytes=1),)
    assert "memory" not in stats.pressure
    assert [e.cause for e in errors] == [
        "invalid line '254:0 rbytes=x': expected 'major:minor key=value ...'",
        "invalid line 'some avg10=0.00 total=': expected '... total=<usec>'",
    ]


def test_a_vanished_group_reports_its_files(v2_root):
    stats, errors = read_cgroup(CgroupPaths("v2", {"": v2_root / "gone"}))
    assert stats.memory is None
    assert errors[0].path == v2_root / "gone" / "cgroup.controllers"
    assert {e.cause for e in errors} == {"No such file or directory"}
