"""The host's root group (cAdvisor's id="/"), group names for the id label, and readers that open files
relative to their directory."""

import os
from pathlib import Path

from exporter.readers.cgroup import cgroup_name, read_cgroup, read_root_cgroup, root_cgroup_paths
from exporter.readers.samples import CgroupPaths
from tests.unit.exporter.conftest import GROUP, write_tree

V2_ROOT_FILES = {
    "cgroup.controllers": "cpuset cpu io memory pids\n",
    "cpu.stat": "usage_usec 5000000\nuser_usec 3000000\nsystem_usec 2000000\n",
    "memory.stat": "anon 1000\nfile 3000\nfile_mapped 200\nactive_file 1000\ninactive_file 1500\npgfault 9\n",
    "io.stat": "254:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n",
    "cpu.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n",
}


def test_v1_root_reads_the_hierarchies_roots_without_pids(v1_host):
    paths = root_cgroup_paths(v1_host["cgroup"])
    assert paths.mode == "v1"
    assert paths.dirs["memory"] == v1_host["cgroup"] / "memory"
    stats, errors = read_root_cgroup(paths)
    assert errors == []  # no pids.current nor pids.max in a v1 root, and none asked for
    assert stats.pids is None
    assert stats.memory.usage == 10485760
    assert stats.cpu.per_cpu_ns == (100000000, 23456789)
    assert stats.spec is None


def test_v2_root_computes_usage_from_memory_stat(tmp_path):
    root = tmp_path / "cgroup"
    write_tree(root, V2_ROOT_FILES)
    paths = root_cgroup_paths(root)
    assert paths == CgroupPaths("v2", {"": root})
    stats, errors = read_root_cgroup(paths)
    assert errors == []
    assert stats.memory.usage == 4000  # anon + file, as cAdvisor: the root has no memory.current
    assert stats.memory.working_set == 2500
    assert stats.memory.limit is None
    assert stats.cpu.usage_ns == 5_000_000_000
    assert stats.blkio[0].write_bytes == 20
    assert stats.pressure["cpu"].some_ns == 7000
    assert stats.pids is None


def test_v2_root_of_an_older_kernel_lacks_memory_stat_and_io_stat(tmp_path):
    root = tmp_path / "cgroup"
    write_tree(root, {"cgroup.controllers": "cpu memory\n", "cpu.stat": "usage_usec 1\n"})
    stats, errors = read_root_cgroup(root_cgroup_paths(root))
    assert errors == []
    assert (stats.memory, stats.blkio, stats.cpu.usage_ns) == (None, (), 1000)


def test_names_are_paths_below_the_hierarchy(v1_root, v2_root):
    assert cgroup_name(root_cgroup_paths(v1_root), v1_root) == "/"
    v1 = CgroupPaths("v1", {"name=systemd": v1_root / "systemd" / "elsewhere", "cpu": v1_root / "cpu" / GROUP})
    assert cgroup_name(v1, v1_root) == "/" + GROUP  # cpu names it: name=systemd is not a controller we prefer
    assert cgroup_name(CgroupPaths("v2", {"": v2_root / GROUP}), v2_root) == "/" + GROUP
    assert cgroup_name(CgroupPaths("v2", {"": v2_root}), v2_root) == "/"
    assert cgroup_name(CgroupPaths("v1", {"freezer": v1_root / "freezer" / GROUP}), v1_root) == ""


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_reading_a_group_leaves_no_descriptor_open(v1_root, v2_root):
    v1 = CgroupPaths("v1", {c: v1_root / c / GROUP for c in ("cpu", "cpuacct", "memory", "pids", "blkio")})
    before = open_fds()
    for paths in (v1, CgroupPaths("v2", {"": v2_root / GROUP}), CgroupPaths("v2", {"": v2_root / "gone"})):
        read_cgroup(paths)
    read_root_cgroup(root_cgroup_paths(v1_root))
    assert open_fds() == before


def test_a_missing_directory_is_reported_per_file(v1_root):
    gone = Path(v1_root / "memory" / "gone")
    _, errors = read_cgroup(CgroupPaths("v1", {"memory": gone}))
    assert errors[0].path == gone / "memory.usage_in_bytes"
    assert {e.cause for e in errors} == {"No such file or directory"}
