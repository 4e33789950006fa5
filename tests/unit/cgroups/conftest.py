"""Fake cgroup hosts under tmp_path, holding the files the kernel would create for each group.

cgroupfs creates a group's interface files on mkdir; a plain directory cannot, so the groups a test
uses are made up front, as the kernel would have made them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

V1_HIERARCHIES = ("blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd")

V1_GROUP_FILES = {
    "cpu": {"cpu.shares": "1024\n", "cpu.cfs_period_us": "100000\n", "cpu.cfs_quota_us": "-1\n"},
    "cpuset": {"cpuset.cpus": "\n", "cpuset.mems": "\n"},
    "memory": {
        "memory.limit_in_bytes": "9223372036854771712\n",
        "memory.memsw.limit_in_bytes": "9223372036854771712\n",
        "memory.soft_limit_in_bytes": "9223372036854771712\n",
        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
        "memory.use_hierarchy": "1\n",
    },
    "blkio": {
        "blkio.bfq.weight": "100\n",
        "blkio.throttle.read_bps_device": "",
        "blkio.throttle.write_bps_device": "",
        "blkio.throttle.read_iops_device": "",
        "blkio.throttle.write_iops_device": "",
    },
    "pids": {"pids.max": "max\n", "pids.current": "0\n"},
    "freezer": {"freezer.state": "THAWED\n"},
}

V2_ROOT_FILES = {
    "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
    "cgroup.subtree_control": "\n",
    "cgroup.procs": "",
}

V2_GROUP_FILES = {
    "cgroup.controllers": "cpuset cpu io memory pids\n",
    "cgroup.subtree_control": "\n",
    "cgroup.procs": "",
    "cgroup.type": "domain\n",
    "cgroup.events": "populated 0\nfrozen 0\n",
    "cgroup.freeze": "0\n",
    "cgroup.kill": "",
    "cpu.weight": "100\n",
    "cpu.max": "max 100000\n",
    "cpuset.cpus": "\n",
    "cpuset.mems": "\n",
    "io.max": "",
    "io.weight": "default 100\n",
    "memory.max": "max\n",
    "memory.swap.max": "max\n",
    "memory.low": "0\n",
    "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
    "pids.max": "max\n",
}


def write_files(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content)


def make_v1_host(root: Path, groups: tuple[str, ...] = ()) -> Path:
    """A hybrid host: v1 hierarchies plus an empty cgroup2 at <root>/unified."""
    write_files(root / "unified", {"cgroup.controllers": "", "cgroup.procs": ""})
    for name in V1_HIERARCHIES:
        mount = root / name
        write_files(mount, {"cgroup.procs": "1\n"})
        if name == "cpuset":
            write_files(mount, {"cpuset.cpus": "0-1\n", "cpuset.mems": "0\n"})
        for group in groups:
            parts = group.split("/")
            for depth in range(1, len(parts) + 1):
                files = {"cgroup.procs": "", **V1_GROUP_FILES.get(name, {})}
                write_files(mount.joinpath(*parts[:depth]), files)
    return root


def make_v2_host(root: Path, groups: tuple[str, ...] = ()) -> Path:
    write_files(root, V2_ROOT_FILES)
    for group in groups:
        parts = group.split("/")
        for depth in range(1, len(parts) + 1):
            write_files(root.joinpath(*parts[:depth]), V2_GROUP_FILES)
    return root


@pytest.fixture
def v1_host(tmp_path: Path) -> Path:
    return make_v1_host(tmp_path / "cgroup", ("porthole/c1",))


@pytest.fixture
def v2_host(tmp_path: Path) -> Path:
    return make_v2_host(tmp_path / "cgroup", ("porthole/c1",))


@pytest.fixture
def fake_host():
    """Builders for tests that need a host of their own shape: fake_host.v1(root), fake_host.v2(root)."""

    class Builders:
        v1 = staticmethod(make_v1_host)
        v2 = staticmethod(make_v2_host)

    return Builders


@pytest.fixture(autouse=True)
def attached_device_programs(monkeypatch) -> list[tuple[Path, bytes]]:
    """A fake tree is no cgroup the kernel can attach a program to: record what v2's devices would attach."""
    from runtime.cgroups.v2 import devices

    attached: list[tuple[Path, bytes]] = []
    monkeypatch.setattr(devices, "attach_program", lambda cg, program: attached.append((cg, program)))
    return attached
