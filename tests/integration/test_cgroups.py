"""The cgroup managers and readers against this host's kernel (root): v1 hierarchies, and the v2 manager on
the controller-less cgroup2 mount a hybrid host has at /sys/fs/cgroup/unified.

Every group lives under a parent of the test's own ("porthole-test-<random>") and is removed, with any
process the test started, even when the test fails.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter.readers.cgroup import cgroup_paths_of_pid, read_cgroup
from exporter.readers.samples import CgroupPaths
from runtime.cgroups import (
    CgroupManager,
    Resources,
    detect_mode,
    discarded,
    open_manager,
    remove_parent_if_empty,
)
from runtime.errors import HostError

CGROUP_ROOT = Path("/sys/fs/cgroup")
UNIFIED = CGROUP_ROOT / "unified"
MiB = 1 << 20

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]
v1_only = pytest.mark.skipif(os.geteuid() != 0 or detect_mode(CGROUP_ROOT) != "v1", reason="needs a cgroup v1 host")


def block_device() -> str:
    for entry in sorted(Path("/sys/dev/block").iterdir()):
        if (entry / "partition").exists():
            continue
        name = (entry / "uevent").read_text().split("DEVNAME=")[1].split()[0]
        if Path("/dev", name).is_block_device():
            return f"/dev/{name}"
    pytest.skip("no whole-disk block device")


class Groups:
    """Managers and processes a test made, all torn down at the end."""

    def __init__(self, cgroup_root: Path, mode: str):
        self.parent = f"porthole-test-{secrets.token_hex(4)}"
        self.cgroup_root = cgroup_root
        self.mode = mode
        self.managers: list[CgroupManager] = []
        self.processes: list[subprocess.Popen] = []

    def create(self, name: str = "c1") -> CgroupManager:
        manager = open_manager(f"{self.parent}/{name}", cgroup_root=self.cgroup_root, mode=self.mode)
        self.managers.append(manager)
        manager.create()
        return manager

    def run_in(self, manager: CgroupManager, *argv: str, **kwargs) -> subprocess.Popen:
        """Start a process that joins the group itself, before exec, as the container's first process does."""
        procs_files = manager.procs_files()

        def join() -> None:
            for f in procs_files:
                f.write_text(str(os.getpid()))

        process = subprocess.Popen(argv, preexec_fn=join, **kwargs)
        self.processes.append(process)
        return process

    def close(self) -> None:
        problems = []
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        for manager in self.managers:
            try:
                manager.destroy()
            except HostError as e:
                problems.append(e.message)
        if not remove_parent_if_empty(self.parent, cgroup_root=self.cgroup_root, mode=self.mode):
            problems.append(f"parent {self.parent} still holds groups")
        assert problems == []


@pytest.fixture
def v1_groups() -> Iterator[Groups]:
    groups = Groups(CGROUP_ROOT, "v1")
    try:
        yield groups
    finally:
        groups.close()


@pytest.fixture
def v2_groups() -> Iterator[Groups]:
    if not (UNIFIED / "cgroup.controllers").exists():
        pytest.skip("no cgroup2 mount at /sys/fs/cgroup/unified")
    groups = Groups(UNIFIED, "v2")
    try:
        yield groups
    finally:
        groups.close()


def group_file(hierarchy: str, groups: Groups, name: str, child: str = "c1") -> str:
    return (CGROUP_ROOT / hierarchy / groups.parent / child / name).read_text().strip()


def wait_for(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def proc_state(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("State:"):
            return line.split()[1]
    raise AssertionError(f"no State line for {pid}")


@v1_only
def test_v1_set_writes_every_limit(v1_groups):
    device = block_device()
    rdev = os.stat(device).st_rdev
    dev = f"{os.major(rdev)}:{os.minor(rdev)}"
    res = Resources.from_host_config(
        {
            "Memory": 64 * MiB,
            "MemoryReservation": 32 * MiB,
            "CpuShares": 512,
            "NanoCpus": 500_000_000,
            "CpusetCpus": "0",
            "CpusetMems": "0",
            "BlkioWeight": 300,
            "BlkioDeviceReadBps": [{"Path": device, "Rate": 1048576}],
            "BlkioDeviceWriteBps": [{"Path": device, "Rate": 2097152}],
            "BlkioDeviceReadIOps": [{"Path": device, "Rate": 100}],
            "BlkioDeviceWriteIOps": [{"Path": device, "Rate": 200}],
            "PidsLimit": 50,
            "OomKillDisable": True,
        }
    )
    manager = v1_groups.create()
    warnings = manager.set(res)

    blkio = manager.paths()["blkio"]
    weight_files = [f for f in ("blkio.bfq.weight", "blkio.weight") if (blkio / f).exists()]
    if weight_files:
        assert warnings == []
        assert group_file("blkio", v1_groups, weight_files[0]) == "300"
    else:  # a kernel with neither CFQ nor BFQ: Docker's warning says the weight was dropped
        assert warnings == [discarded.BLKIO_WEIGHT]
    assert group_file("memory", v1_groups, "memory.limit_in_bytes") == str(64 * MiB)
    assert group_file("memory", v1_groups, "memory.memsw.limit_in_bytes") == str(128 * MiB)
    assert group_file("memory", v1_groups, "memory.soft_limit_in_bytes") == str(32 * MiB)
    assert "oom_kill_disable 1" in group_file("memory", v1_groups, "memory.oom_control")
    assert group_file("cpu", v1_groups, "cpu.shares") == "512"
    assert group_file("cpu", v1_groups, "cpu.cfs_period_us") == "100000"
    assert group_file("cpu", v1_groups, "cpu.cfs_quota_us") == "50000"
    assert group_file("cpuset", v1_groups, "cpuset.cpus") == "0"
    assert group_file("cpuset", v1_groups, "cpuset.mems") == "0"
    assert group_file("blkio", v1_groups, "blkio.throttle.read_bps_device") == f"{dev} 1048576"
    assert group_file("blkio", v1_groups, "blkio.throttle.write_bps_device") == f"{dev} 2097152"
    assert group_file("blkio", v1_groups, "blkio.throttle.read_iops_device") == f"{dev} 100"
    assert group_file("blkio", v1_groups, "blkio.throttle.write_iops_device") == f"{dev} 200"
    assert group_file("pids", v1_groups, "pids.max") == "50"


@v1_only
def test_v1_memory_and_swap_limits_rise_and_fall(v1_groups):
    manager = v1_groups.create()
    # raising past the current memsw needs memsw first, lowering needs memory first: both must work
    for memory, swap in ((64 * MiB, 128 * MiB), (256 * MiB, 512 * MiB), (32 * MiB, 64 * MiB), (32 * MiB, -1)):
        assert manager.set(Resources(memory=memory, memory_swap=swap)) == []
        assert group_file("memory", v1_groups, "memory.limit_in_bytes") == str(memory)
        memsw = int(group_file("memory", v1_groups, "memory.memsw.limit_in_bytes"))
        assert memsw == swap if swap > 0 else memsw > 1 << 62


@v1_only
def test_a_write_the_kernel_refuses_names_the_file_and_the_reason(v1_groups):
    manager = v1_groups.create()
    manager.set(Resources(memory=128 * MiB, memory_swap=128 * MiB))
    allocate = "import sys, time; a = b'x' * (40 << 20); print('ready', flush=True); time.sleep(60)"
    process = v1_groups.run_in(manager, sys.executable, "-c", allocate, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    # 40 MiB of anonymous memory cannot be reclaimed without swap: the kernel keeps the old limit
    with pytest.raises(HostError) as info:
        manager.set(Resources(memory=8 * MiB, memory_swap=8 * MiB))
    limit_file = manager.paths()["memory"] / "memory.limit_in_bytes"
    assert info.value.message == f"cgroups: cannot write '8388608' to {limit_file}: Device or resource busy"


@v1_only
def test_v1_process_joins_freezes_and_thaws(v1_groups):
    manager = v1_groups.create()
    process = v1_groups.run_in(manager, "sleep", "60")
    wait_for(lambda: manager.pids() == [process.pid], "the sleep to join")
    membership = Path(f"/proc/{process.pid}/cgroup").read_text()
    assert f"memory:/{v1_groups.parent}/c1\n" in membership
    assert f"name=systemd:/{v1_groups.parent}/c1\n" in membership

    manager.freeze(True)
    assert group_file("freezer", v1_groups, "freezer.state") == "FROZEN"
    assert proc_state(process.pid) == "D"  # v1 frozen tasks sleep uninterruptibly in the refrigerator
    manager.freeze(False)
    assert group_file("freezer", v1_groups, "freezer.state") == "THAWED"
    wait_for(lambda: proc_state(process.pid) == "S", "the sleep to run again")


@v1_only
def test_v1_oom_kill_is_counted(v1_groups):
    manager = v1_groups.create()
    manager.set(Resources(memory=32 * MiB, memory_swap=32 * MiB))
    hog = "chunks = []\nwhile True:\n    chunks.append(b'x' * (1 << 20))"
    process = v1_groups.run_in(manager, sys.executable, "-c", hog)
    assert process.wait(timeout=60) == -9
    assert manager.oom_kills() == 1
    stats, errors = read_cgroup(CgroupPaths("v1", manager.paths()))
    assert errors == []
    assert stats.memory.oom_kills == 1
    assert stats.memory.max_usage == 32 * MiB  # it ran into the limit (memsw's failcnt counts the hits)


@v1_only
def test_v1_destroy_kills_everything_and_leaves_nothing(v1_groups):
    manager = v1_groups.create()
    sleeps = [v1_groups.run_in(manager, "sleep", "60") for _ in range(2)]
    nested = manager.paths()["pids"] / "nested"
    nested.mkdir()  # a container may make cgroups of its own
    wait_for(lambda: len(manager.pids()) == 2, "both sleeps to join")
    (nested / "cgroup.procs").write_text(str(sleeps[1].pid))

    manager.destroy()
    assert [p.wait(timeout=10) for p in sleeps] == [-9, -9]
    assert [d for d in manager.paths().values() if d.exists()] == []
    assert (CGROUP_ROOT / "memory" / v1_groups.parent).is_dir()  # the parent is not the manager's
    manager.destroy()  # idempotent


@v1_only
def test_the_exporter_reads_a_real_cgroup_of_a_real_process(v1_groups):
    manager = v1_groups.create()
    manager.set(Resources(memory=256 * MiB, memory_swap=512 * MiB, pids_limit=20))
    allocate = "import time; a = b'x' * (20 << 20); print('ready', flush=True); time.sleep(60)"
    process = v1_groups.run_in(manager, sys.executable, "-c", allocate, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"

    paths = cgroup_paths_of_pid(process.pid)
    assert {c: paths.dirs[c] for c in ("cpu", "cpuacct", "memory", "pids", "blkio")} == {
        c: manager.paths()[c] for c in ("cpu", "cpuacct", "memory", "pids", "blkio")
    }
    usage_file = manager.paths()["memory"] / "memory.usage_in_bytes"
    deadline = time.monotonic() + 10
    while True:  # the sleeping process's usage is steady; retry if the kernel moved it between reads
        before = int(usage_file.read_text())
        stats, errors = read_cgroup(paths)
        after = int(usage_file.read_text())
        if before == after or time.monotonic() > deadline:
            break
    assert errors == []
    assert stats.memory.usage == before == after
    assert stats.memory.usage >= 20 * MiB
    assert stats.memory.rss >= 20 * MiB
    assert stats.pids.current == 1 and stats.pids.limit == 20
    assert stats.cpu.usage_ns > 0
    assert stats.spec.memory_limit == 256 * MiB and stats.spec.memory_swap_limit == 512 * MiB


def test_v2_manager_on_the_kernels_cgroup2(v2_groups):
    manager = v2_groups.create()
    # on a hybrid host every controller is bound to v1, so each limit comes back as Docker's warning
    assert manager.set(Resources(memory=64 * MiB, memory_swap=-1, pids_limit=5)) == [
        discarded.MEMORY,
        discarded.PIDS,
    ]
    process = v2_groups.run_in(manager, "sleep", "60")
    wait_for(lambda: manager.pids() == [process.pid], "the sleep to join")
    group = UNIFIED / v2_groups.parent / "c1"

    manager.freeze(True)
    assert "frozen 1" in (group / "cgroup.events").read_text().splitlines()
    manager.freeze(False)
    assert "frozen 0" in (group / "cgroup.events").read_text().splitlines()
    assert manager.oom_kills() == 0

    manager.destroy()
    assert process.wait(timeout=10) == -9
    assert not group.exists()
    manager.destroy()


def test_remove_parent_if_empty_keeps_a_parent_in_use(v2_groups):
    v2_groups.create("busy")
    assert not remove_parent_if_empty(v2_groups.parent, cgroup_root=UNIFIED, mode="v2")
    assert (UNIFIED / v2_groups.parent / "busy").is_dir()
