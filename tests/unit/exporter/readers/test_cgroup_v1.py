"""read_cgroup on a fake cgroup v1 group: every number, and what a missing or garbled file costs."""

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
    SpecStats,
)

GROUP = "docker/abc"  # the group the fixture trees hold (conftest.py)
NOENT = "No such file or directory"
INT = "expected an integer"
TICK_NS = 10_000_000  # USER_HZ is 100 on every Linux architecture we run on


def paths(root: Path) -> CgroupPaths:
    return CgroupPaths("v1", {c: root / c / GROUP for c in ("cpu", "cpuacct", "memory", "pids", "blkio")})


def expected_stats(stat: dict) -> CgroupStats:
    return CgroupStats(
        cpu=CpuStats(
            usage_ns=123456789,
            user_ns=7 * TICK_NS,
            system_ns=3 * TICK_NS,
            per_cpu_ns=(100000000, 23456789),
            nr_periods=10,
            nr_throttled=2,
            throttled_ns=5000000,
            nr_bursts=1,
            burst_ns=700,
        ),
        memory=MemoryStats(
            usage=10485760,
            max_usage=20971520,
            limit=67108864,
            failcnt=3,
            swap=512,
            cache=4096,
            rss=8192,
            mapped_file=1024,
            active_file=1048576,
            inactive_file=2097152,
            working_set=10485760 - 2097152,
            kernel_usage=4096,
            pgfault=100,
            pgmajfault=10,
            oom_kills=1,
            stat=stat,
        ),
        pids=PidsStats(current=3, limit=None),
        blkio=(
            BlkioDevice(8, 16, read_bytes=1, write_bytes=2, read_ops=5, write_ops=6),
            BlkioDevice(254, 0, 4096, 8192, read_ops=4, write_ops=8, discard_bytes=512),
        ),
        spec=SpecStats(
            cpu_shares=512,
            cpu_quota=50000,
            cpu_period=100000,
            memory_limit=67108864,
            memory_reservation=0,  # near-2^63 "unlimited" exported as 0, as cAdvisor does
            memory_swap_limit=134217728,
        ),
    )


def test_reads_every_counter(v1_root):
    stats, errors = read_cgroup(paths(v1_root))
    assert errors == []
    assert stats == expected_stats(stats.memory.stat)
    assert stats.memory.stat["total_rss"] == 8192 and stats.memory.stat["cache"] == 1000


def test_paths_of_a_pid_lead_to_the_same_numbers(v1_root, tmp_path):
    proc = tmp_path / "proc"
    (proc / "7").mkdir(parents=True)
    (proc / "7" / "cgroup").write_text(
        "".join(f"{i}:{c}:/{GROUP}\n" for i, c in enumerate(["cpu", "cpuacct", "memory", "pids", "blkio"], 1))
        + "9:name=systemd:/docker/abc\n0::/\n"
    )
    found = cgroup_paths_of_pid(7, proc_root=proc, cgroup_root=v1_root)
    assert read_cgroup(found) == read_cgroup(paths(v1_root))


@pytest.mark.parametrize(
    "file, content, changed, cause",
    [
        (
            "memory/memory.usage_in_bytes",
            None,
            {"memory": {"usage": None, "working_set": None}},
            "No such file or directory",
        ),
        ("cpuacct/cpuacct.usage", "abc\n", {"cpu": {"usage_ns": None}}, "invalid value 'abc': " + INT),
        (
            "cpuacct/cpuacct.usage_percpu",
            "1 x 2\n",
            {"cpu": {"per_cpu_ns": ()}},
            "invalid value '1 x 2': expected integers",
        ),
        ("cpuacct/cpuacct.stat", None, {"cpu": {"user_ns": None, "system_ns": None}}, NOENT),
        ("pids/pids.max", "lots\n", {"pids": {"limit": None}}, "invalid value 'lots': " + INT),
        ("memory/memory.oom_control", None, {"memory": {"oom_kills": None}}, NOENT),
        ("cpu/cpu.shares", "", {"spec": {"cpu_shares": None}}, "invalid value '': " + INT),
    ],
)
def test_a_bad_file_costs_only_its_own_values(v1_root, file, content, changed, cause):
    hierarchy, name = file.split("/")
    target = v1_root / hierarchy / GROUP / name
    if content is None:
        target.unlink()
    else:
        target.write_text(content)
    stats, errors = read_cgroup(paths(v1_root))
    expected = expected_stats(stats.memory.stat)
    for part, fields in changed.items():
        expected = replace(expected, **{part: replace(getattr(expected, part), **fields)})
    assert stats == expected
    assert [(e.path, e.cause) for e in errors] == [(target, cause)]
    assert errors[0].message == f"exporter: cannot read {target}: {cause}"


def test_a_garbage_line_in_a_keyed_file_spares_the_other_keys(v1_root):
    target = v1_root / "memory" / GROUP / "memory.stat"
    target.write_text(target.read_text().replace("total_cache 4096\n", "total_cache lots\n"))
    stats, errors = read_cgroup(paths(v1_root))
    assert stats.memory.cache == 1000  # falls back to the non-hierarchical key
    assert stats.memory.rss == 8192
    cause = "invalid line 'total_cache lots': expected 'key integer'"
    assert [(e.path, e.cause) for e in errors] == [(target, cause)]


def test_a_garbage_blkio_line_is_reported(v1_root):
    target = v1_root / "blkio" / GROUP / "blkio.throttle.io_serviced_recursive"
    target.write_text("254:x Read 4\n254:0 Write 8\nnonsense\n")
    stats, errors = read_cgroup(paths(v1_root))
    assert [d.write_ops for d in stats.blkio if (d.major, d.minor) == (254, 0)] == [8]
    assert [e.cause for e in errors] == [
        "invalid line '254:x Read 4': expected 'major:minor op value'",
        "invalid line 'nonsense': expected 'major:minor op value'",
    ]


@pytest.mark.parametrize("file", ["memory/memory.kmem.usage_in_bytes", "memory/memory.memsw.limit_in_bytes"])
def test_files_a_kernel_may_lack_are_not_errors(v1_root, file):
    hierarchy, name = file.split("/")
    (v1_root / hierarchy / GROUP / name).unlink()
    stats, errors = read_cgroup(paths(v1_root))
    assert errors == []
    assert None in (stats.memory.kernel_usage, stats.spec.memory_swap_limit)


def test_unmounted_controllers_give_no_stats_and_no_errors(v1_root):
    only_memory = CgroupPaths("v1", {"memory": v1_root / "memory" / GROUP})
    stats, errors = read_cgroup(only_memory)
    assert errors == []
    assert (stats.cpu, stats.pids, stats.blkio) == (None, None, ())
    assert stats.memory.usage == 10485760


def test_bfq_files_serve_when_the_throttle_layer_is_missing(v1_root):
    group = v1_root / "blkio" / GROUP
    for kind in ("io_service_bytes_recursive", "io_serviced_recursive"):
        (group / f"blkio.bfq.{kind}").write_text("8:0 Read 7\n8:0 Write 9\nTotal 16\n")
        (group / f"blkio.throttle.{kind}").unlink()
    stats, errors = read_cgroup(paths(v1_root))
    assert errors == []
    assert stats.blkio == (BlkioDevice(8, 0, read_bytes=7, write_bytes=9, read_ops=7, write_ops=9),)


def test_without_spec_the_limit_files_are_not_read(v1_root):
    (v1_root / "cpu" / GROUP / "cpu.shares").unlink()
    stats, errors = read_cgroup(paths(v1_root), include_spec=False)
    assert (stats.spec, errors) == (None, [])
