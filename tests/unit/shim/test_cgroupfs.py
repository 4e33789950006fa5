"""What a container's /sys/fs/cgroup is made of (runtime.shim.cgroupfs), planned from the cgroup.procs files it
joined, against fake cgroup hosts under tmp_path: a v1 host with co-mounted controllers and a v2 host."""

from pathlib import Path

import pytest

from runtime.shim.cgroupfs import UNIFIED, cgroup_mounts, controller_links

GROUP = ("porthole", "c0ffee")


def _host(root: Path, mounts: list[str], files: dict[str, str] | None = None) -> tuple[list[str], set[str]]:
    """A fake host: each of `mounts` a mount point below `root` holding the container's group; returns the group's
    cgroup.procs files and the mount points."""
    procs = []
    for name in mounts:
        group = root.joinpath(name, *GROUP)
        group.mkdir(parents=True)
        (group / "cgroup.procs").write_text("")
        procs.append(str(group / "cgroup.procs"))
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return procs, {str(root / name) for name in mounts}


def test_v1_each_hierarchy_under_the_name_of_its_mount(tmp_path):
    hierarchies = ["cpu,cpuacct", "memory", "net_cls,net_prio", "pids", "systemd"]
    procs, points = _host(tmp_path, hierarchies)
    mounts = cgroup_mounts(procs, is_mount=points.__contains__)
    assert mounts == {name: str(tmp_path.joinpath(name, *GROUP)) for name in hierarchies}


def test_v2_the_one_group_is_the_whole(tmp_path):
    procs, _ = _host(tmp_path, [""], {"cgroup.controllers": "cpuset cpu io memory pids\n"})
    mounts = cgroup_mounts(procs, is_mount={str(tmp_path)}.__contains__)
    assert mounts == {UNIFIED: str(tmp_path.joinpath(*GROUP))}


def test_no_group_joined_shows_none():
    assert cgroup_mounts([]) == {}


@pytest.mark.parametrize(
    ("names", "links"),
    [
        (["memory", "pids"], []),
        (["cpu,cpuacct", "memory"], [("cpu", "cpu,cpuacct"), ("cpuacct", "cpu,cpuacct")]),
        (
            ["net_cls,net_prio", "cpu,cpuacct"],
            [
                ("cpu", "cpu,cpuacct"),
                ("cpuacct", "cpu,cpuacct"),
                ("net_cls", "net_cls,net_prio"),
                ("net_prio", "net_cls,net_prio"),
            ],
        ),  # fmt: skip
        ([UNIFIED], []),
    ],
)
def test_co_mounted_controllers_get_runcs_symlinks(names, links):
    assert controller_links(names) == links
