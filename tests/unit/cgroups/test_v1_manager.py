"""The v1 manager against a fake hybrid host: which file gets which value, and the warnings."""

from pathlib import Path

import pytest

from runtime.cgroups import DeviceRate, Resources, discarded, open_manager
from runtime.errors import HostError

FULL = Resources(
    memory=64 << 20,
    memory_swap=128 << 20,
    memory_reservation=32 << 20,
    cpu_shares=512,
    nano_cpus=1_500_000_000,
    cpuset_cpus="1",
    cpuset_mems="0",
    blkio_weight=300,
    device_read_bps=(DeviceRate(254, 0, 1048576),),
    device_write_bps=(DeviceRate(254, 0, 2097152),),
    device_read_iops=(DeviceRate(254, 0, 100),),
    device_write_iops=(DeviceRate(8, 16, 200),),
    pids_limit=50,
    oom_kill_disable=True,
)


def read(root: Path, hierarchy: str, name: str) -> str:
    return (root / hierarchy / "porthole" / "c1" / name).read_text()


def test_create_copies_the_parents_cpuset_into_every_new_level(v1_host):
    open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").create()
    for level in ("porthole", "porthole/c1"):
        assert (v1_host / "cpuset" / level / "cpuset.cpus").read_text() == "0-1"
        assert (v1_host / "cpuset" / level / "cpuset.mems").read_text() == "0"


def test_create_failing_leaves_no_directory_behind(v1_host):
    # plain directories lack cpuset.cpus, so copying the cpuset fails after the mkdirs
    manager = open_manager("other/c2", cgroup_root=v1_host, mode="v1")
    with pytest.raises(HostError, match=r"cannot read .*/cpuset/other/cpuset.cpus: No such file"):
        manager.create()
    assert [p for p in v1_host.glob("*/other")] == []


@pytest.mark.parametrize(
    "hierarchy, name, value",
    [
        ("memory", "memory.limit_in_bytes", str(64 << 20)),
        ("memory", "memory.memsw.limit_in_bytes", str(128 << 20)),
        ("memory", "memory.soft_limit_in_bytes", str(32 << 20)),
        ("memory", "memory.oom_control", "1"),
        ("cpu", "cpu.shares", "512"),
        ("cpu", "cpu.cfs_period_us", "100000"),
        ("cpu", "cpu.cfs_quota_us", "150000"),
        ("cpuset", "cpuset.cpus", "1"),
        ("cpuset", "cpuset.mems", "0"),
        ("blkio", "blkio.bfq.weight", "300"),
        ("blkio", "blkio.throttle.read_bps_device", "254:0 1048576"),
        ("blkio", "blkio.throttle.write_bps_device", "254:0 2097152"),
        ("blkio", "blkio.throttle.read_iops_device", "254:0 100"),
        ("blkio", "blkio.throttle.write_iops_device", "8:16 200"),
        ("pids", "pids.max", "50"),
    ],
)
def test_set_writes_each_limit(v1_host, hierarchy, name, value):
    assert open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").set(FULL) == []
    assert read(v1_host, hierarchy, name) == value


def test_set_writes_only_what_is_set(v1_host):
    open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").set(Resources(cpu_period=50000))
    assert read(v1_host, "cpu", "cpu.cfs_period_us") == "50000"
    assert read(v1_host, "cpu", "cpu.cfs_quota_us") == "-1\n"
    assert read(v1_host, "memory", "memory.limit_in_bytes") == "9223372036854771712\n"


def test_old_kernels_get_blkio_weight(v1_host):
    group = v1_host / "blkio" / "porthole" / "c1"
    (group / "blkio.bfq.weight").unlink()
    (group / "blkio.weight").write_text("500\n")
    open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").set(Resources(blkio_weight=300))
    assert (group / "blkio.weight").read_text() == "300"


@pytest.mark.parametrize(
    "missing, res, warnings",
    [
        ("memory/porthole/c1/memory.memsw.limit_in_bytes", FULL, [discarded.SWAP]),
        ("blkio/porthole/c1/blkio.bfq.weight", Resources(blkio_weight=300), [discarded.BLKIO_WEIGHT]),
        ("pids", Resources(pids_limit=5), [discarded.PIDS]),
        ("cpuset", Resources(cpuset_cpus="0"), [discarded.CPUSET]),
        ("memory", Resources(memory=64 << 20, memory_swap=-1), [discarded.MEMORY]),
        ("cpu/porthole/c1/cpu.cfs_quota_us", Resources(nano_cpus=10**9), [discarded.CPU_CFS]),
        (
            "blkio",
            Resources(device_read_bps=(DeviceRate(8, 0, 1),), device_write_iops=(DeviceRate(8, 0, 1),)),
            [discarded.READ_BPS, discarded.WRITE_IOPS],
        ),
    ],
)
def test_set_returns_dockers_warning_for_what_the_host_lacks(v1_host, missing, res, warnings):
    target = v1_host / missing
    if target.is_dir():
        for f in sorted(target.rglob("*"), reverse=True):
            f.rmdir() if f.is_dir() else f.unlink()
        target.rmdir()
    else:
        target.unlink()
    manager = open_manager("porthole/c1", cgroup_root=v1_host, mode="v1")
    assert manager.set(res) == warnings
    if missing.endswith("memsw.limit_in_bytes"):  # memory itself is still limited
        assert read(v1_host, "memory", "memory.limit_in_bytes") == str(64 << 20)


def test_procs_files_and_paths_cover_every_hierarchy(v1_host):
    manager = open_manager("porthole/c1", cgroup_root=v1_host, mode="v1")
    expected = ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd"]
    assert manager.procs_files() == [v1_host / h / "porthole/c1/cgroup.procs" for h in expected]
    paths = manager.paths()
    assert paths["cpuacct"] == v1_host / "cpuacct/porthole/c1"
    assert paths["name=systemd"] == v1_host / "systemd/porthole/c1"
    assert "unified" not in {p.parts[-3] for p in paths.values()}


def test_co_mounted_controllers_share_one_dir(tmp_path):
    root = tmp_path / "cg"
    (root / "cpu,cpuacct").mkdir(parents=True)
    (root / "cpu,cpuacct" / "cgroup.procs").write_text("")
    (root / "cpu").symlink_to("cpu,cpuacct")
    (root / "cpuacct").symlink_to("cpu,cpuacct")
    paths = open_manager("g", cgroup_root=root, mode="v1").paths()
    assert paths == {"cpu": root / "cpu,cpuacct/g", "cpuacct": root / "cpu,cpuacct/g"}


def test_pids_include_sub_groups(v1_host):
    group = v1_host / "pids" / "porthole" / "c1"
    (group / "cgroup.procs").write_text("10\n11\n")
    (group / "nested").mkdir()
    (group / "nested" / "cgroup.procs").write_text("12\n")
    assert sorted(open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").pids()) == [10, 11, 12]


@pytest.mark.parametrize(
    "oom_control, kills",
    [
        ("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 3),
        ("oom_kill_disable 0\nunder_oom 0\n", 0),  # before kernel 4.13 nothing is counted
    ],
)
def test_oom_kills(v1_host, oom_control, kills):
    (v1_host / "memory/porthole/c1/memory.oom_control").write_text(oom_control)
    assert open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").oom_kills() == kills


def test_freeze_writes_the_state_and_returns_once_it_reads_back(v1_host):
    manager = open_manager("porthole/c1", cgroup_root=v1_host, mode="v1")
    manager.freeze(True)
    assert read(v1_host, "freezer", "freezer.state") == "FROZEN"
    manager.freeze(False)
    assert read(v1_host, "freezer", "freezer.state") == "THAWED"


@pytest.mark.parametrize("state, frozen", [("FROZEN\n", True), ("FREEZING\n", False), ("THAWED\n", False)])
def test_is_frozen_reads_the_kernels_freezer_state(v1_host, state, frozen):
    (v1_host / "freezer" / "porthole" / "c1" / "freezer.state").write_text(state)
    assert open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").is_frozen() is frozen


def test_a_group_without_freezer_is_not_frozen(v1_host):
    assert open_manager("never/made", cgroup_root=v1_host, mode="v1").is_frozen() is False


def test_freeze_without_freezer_says_so(v1_host):
    for f in sorted((v1_host / "freezer").rglob("*"), reverse=True):
        f.rmdir() if f.is_dir() else f.unlink()
    (v1_host / "freezer").rmdir()
    with pytest.raises(HostError, match="cannot freeze porthole/c1: the freezer hierarchy is not mounted"):
        open_manager("porthole/c1", cgroup_root=v1_host, mode="v1").freeze(True)


def test_destroy_of_a_missing_group_is_a_no_op(v1_host):
    open_manager("never/made", cgroup_root=v1_host, mode="v1").destroy()


def test_create_under_a_root_without_hierarchies_says_so(tmp_path):
    with pytest.raises(HostError, match=f"no cgroup v1 hierarchy is mounted under {tmp_path}"):
        open_manager("porthole/c1", cgroup_root=tmp_path, mode="v1").create()
