from pathlib import Path

import pytest

from exporter.readers.paths import cgroup_layout, cgroup_paths_of_pid, v1_mount_dirs
from exporter.readers.samples import CgroupPaths


def mount(root: Path, name: str, cgroup2: bool = False) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / "cgroup.procs").write_text("")
    if cgroup2:
        (root / name / "cgroup.controllers").write_text("")


def proc_with(tmp_path: Path, text: str) -> Path:
    (tmp_path / "proc" / "7").mkdir(parents=True)
    (tmp_path / "proc" / "7" / "cgroup").write_text(text)
    return tmp_path / "proc"


def test_layouts(tmp_path):
    unified = tmp_path / "unified-host"
    unified.mkdir()
    (unified / "cgroup.controllers").write_text("cpu memory\n")
    hybrid = tmp_path / "hybrid-host"
    mount(hybrid, "memory")
    mount(hybrid, "unified", cgroup2=True)
    legacy = tmp_path / "legacy-host"
    mount(legacy, "memory")
    assert [cgroup_layout(r) for r in (unified, hybrid, legacy)] == ["unified", "hybrid", "legacy"]


def test_separate_cpu_and_cpuacct_mounts(tmp_path):
    root = tmp_path / "cg"
    for name in ("cpu", "cpuacct", "memory", "systemd"):
        mount(root, name)
    mount(root, "unified", cgroup2=True)
    proc = proc_with(tmp_path, "9:name=systemd:/x\n4:memory:/a/b\n2:cpuacct:/\n1:cpu:/c\n0::/init.scope\n")
    assert cgroup_paths_of_pid(7, proc_root=proc, cgroup_root=root) == CgroupPaths(
        "v1",
        {
            "name=systemd": root / "systemd/x",
            "memory": root / "memory/a/b",
            "cpuacct": root / "cpuacct",
            "cpu": root / "cpu/c",
        },
    )


def test_co_mounted_cpu_cpuacct_behind_symlinks(tmp_path):
    root = tmp_path / "cg"
    mount(root, "cpu,cpuacct")
    (root / "cpu").symlink_to("cpu,cpuacct")
    (root / "cpuacct").symlink_to("cpu,cpuacct")
    assert v1_mount_dirs(root) == {"cpu": root / "cpu,cpuacct", "cpuacct": root / "cpu,cpuacct"}
    proc = proc_with(tmp_path, "3:cpu,cpuacct:/docker/abc\n5:blkio:/docker/abc\n")
    found = cgroup_paths_of_pid(7, proc_root=proc, cgroup_root=root)
    # blkio is not mounted under this root: left out
    assert found.dirs == {"cpu": root / "cpu,cpuacct/docker/abc", "cpuacct": root / "cpu,cpuacct/docker/abc"}


def test_unified(tmp_path):
    root = tmp_path / "cg"
    mount(root, "", cgroup2=True)
    proc = proc_with(tmp_path, "0::/system.slice/docker-abc.scope\n")
    assert cgroup_paths_of_pid(7, proc_root=proc, cgroup_root=root) == CgroupPaths(
        "v2", {"": root / "system.slice/docker-abc.scope"}
    )


def test_a_gone_process_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        cgroup_paths_of_pid(7, proc_root=tmp_path, cgroup_root=tmp_path)


def test_mounts_can_be_passed_in(tmp_path):
    proc = proc_with(tmp_path, "4:memory:/g\n")
    found = cgroup_paths_of_pid(7, proc_root=proc, cgroup_root=tmp_path, mounts={"memory": Path("/m")})
    assert found.dirs == {"memory": Path("/m/g")}
