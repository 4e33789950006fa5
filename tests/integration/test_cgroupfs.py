"""A container's /sys/fs/cgroup, as Docker's (runc's mount of its default cgroup mount): its own groups,
read-only, the limits it was given readable there. On this v1 host, each hierarchy bound from the container's
group under a tmpfs; the v2 path (the container's group bound on /sys/fs/cgroup) is driven against a fixture tree
in a mount namespace of the test's own, since the host has no v2 controllers."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exporter.readers.paths import v1_hierarchies
from runtime.cgroups import detect_mode

pytestmark = pytest.mark.root
CGROUP_ROOT = Path("/sys/fs/cgroup")
v1_only = pytest.mark.skipif(detect_mode(CGROUP_ROOT) != "v1", reason="needs a cgroup v1 host")


def _sh(ph, script: str, *flags: str) -> str:
    result = ph.docker("run", "--rm", *flags, "busybox", "sh", "-c", script)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def _cgroup_mounts(mounts: str) -> dict[str, list[str]]:
    """`mount` output's lines under /sys/fs/cgroup: target -> [type, options...]."""
    found = {}
    for line in mounts.splitlines():
        _, _, target, _, fstype, options = line.split(maxsplit=5)
        if target.startswith("/sys/fs/cgroup"):
            found[target] = [fstype, *options.strip("()").split(",")]
    return found


@v1_only
def test_each_v1_hierarchy_shows_the_containers_own_group_read_only(ph):
    out = _sh(ph, "ls /sys/fs/cgroup; echo --; mount", "--memory", "6m")
    names, mounts = out.split("--\n")
    hierarchies = sorted(v1_hierarchies(CGROUP_ROOT))
    links = sorted(c for h in hierarchies if "," in h for c in h.split(","))
    assert sorted(names.split()) == sorted(hierarchies + links)
    found = _cgroup_mounts(mounts)
    assert found.pop("/sys/fs/cgroup")[:5] == ["tmpfs", "rw", "nosuid", "nodev", "noexec"]
    assert sorted(found) == [f"/sys/fs/cgroup/{h}" for h in hierarchies]
    for target, (fstype, *options) in found.items():
        assert fstype == "cgroup", target
        assert {"ro", "nosuid", "nodev", "noexec"} <= set(options), target


@v1_only
def test_the_memory_limit_reads_inside_as_in_docker(ph):
    out = _sh(ph, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; hostname; cat /proc/self/cgroup", "--memory", "6m")
    limit, short_id, *groups = out.splitlines()
    assert limit == str(6 << 20)
    memory = next(line for line in groups if line.split(":")[1] == "memory")
    # cgroupns host on v1, as Docker: the host's path of the container's group
    assert memory.rpartition("/")[0].endswith(f"/{ph.cgroup_parent}")
    assert memory.rpartition("/")[2].startswith(short_id)


@v1_only
def test_the_group_holds_only_the_containers_processes_and_refuses_writes(ph):
    out = _sh(ph, "cat /sys/fs/cgroup/pids/cgroup.procs; echo 1 > /sys/fs/cgroup/pids/pids.max || echo refused")
    *pids, verdict = out.split()
    assert "1" in pids  # the container's pid 1 is in the group shown: its own, not the host's root
    assert verdict == "refused"


@v1_only
def test_a_private_cgroup_namespace_sees_the_same_files(ph):
    out = _sh(ph, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /proc/self/cgroup", "--cgroupns", "private",
              "--memory", "8m")  # fmt: skip
    limit, *groups = out.splitlines()
    assert limit == str(8 << 20)
    assert all(line.endswith(":/") for line in groups), groups


def test_privileged_gets_the_groups_writable(ph):
    out = _sh(ph, "echo 100 > /sys/fs/cgroup/pids/pids.max && cat /sys/fs/cgroup/pids/pids.max", "--privileged")
    assert out.split() == ["100"]


def test_an_exec_sees_the_same_groups(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True, mem_limit="6m")
    result = ph.docker("exec", container.id, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == str(6 << 20)


V2_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from runtime.linux.constants import CLONE_NEWNS, MS_PRIVATE, MS_REC
    from runtime.linux.syscalls import mount, unshare
    from runtime.shim.cgroupfs import cgroup_mounts, mount_cgroupfs
    root, procs, target, writable = sys.argv[1:]
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # the fixture's cgroup root stands for a cgroup2 mount: a mount point holding cgroup.controllers
    mount(root, root, None, 4096)
    mount_cgroupfs(target, cgroup_mounts([procs]), writable=writable == "1")
    print(sorted(os.listdir(target)))
    try:
        with open(os.path.join(target, "memory.max"), "w") as f:
            f.write("1")
        print("written")
    except OSError as e:
        print(e.strerror)
    """
)


@pytest.mark.parametrize(("writable", "verdict"), [("0", "Read-only file system"), ("1", "written")])
def test_a_v2_group_is_bound_on_sys_fs_cgroup(tmp_path, writable, verdict):
    root = tmp_path / "cgroup"
    group = root / "porthole" / "c0ffee"
    group.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu io memory pids\n")
    for name, text in (("cgroup.procs", ""), ("memory.max", "6291456\n"), ("cpu.max", "50000 100000\n")):
        (group / name).write_text(text)
    target = tmp_path / "sys-fs-cgroup"
    # a process of its own: the mount namespace, and every mount in it, goes with it
    result = subprocess.run(
        [sys.executable, "-c", V2_SCRIPT, str(root), str(group / "cgroup.procs"), str(target), writable],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["['cgroup.procs', 'cpu.max', 'memory.max']", verdict]
    assert os.listdir(target) == []  # nothing stayed mounted on the host


V1_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from runtime.linux.constants import CLONE_NEWNS, MS_PRIVATE, MS_REC
    from runtime.linux.syscalls import mount, unshare
    from runtime.shim.cgroupfs import mount_cgroupfs
    mounts, target = json.loads(sys.argv[1]), sys.argv[2]
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount_cgroupfs(target, mounts, writable=False)
    print(json.dumps({name: os.readlink(os.path.join(target, name)) if os.path.islink(os.path.join(target, name))
                      else sorted(os.listdir(os.path.join(target, name))) for name in sorted(os.listdir(target))}))
    try:
        open(os.path.join(target, "cpu", "cpu.shares"), "w").close()
    except OSError as e:
        print(e.strerror)
    """
)


def test_co_mounted_v1_controllers_get_runcs_symlinks(tmp_path):
    """A host that co-mounts cpu,cpuacct and net_cls,net_prio (this one does not), as a fixture tree."""
    mounts = {}
    for name, files in (("cpu,cpuacct", ("cpu.shares", "cpuacct.usage")), ("memory", ("memory.limit_in_bytes",)),
                        ("net_cls,net_prio", ("net_cls.classid",))):  # fmt: skip
        group = tmp_path / "host" / name / "porthole" / "c0ffee"
        group.mkdir(parents=True)
        for file in files:
            (group / file).write_text("0\n")
        mounts[name] = str(group)
    target = tmp_path / "sys-fs-cgroup"
    result = subprocess.run(
        [sys.executable, "-c", V1_SCRIPT, json.dumps(mounts), str(target)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    listing, verdict = result.stdout.splitlines()
    assert json.loads(listing) == {
        "cpu": "cpu,cpuacct",
        "cpu,cpuacct": ["cpu.shares", "cpuacct.usage"],
        "cpuacct": "cpu,cpuacct",
        "memory": ["memory.limit_in_bytes"],
        "net_cls": "net_cls,net_prio",
        "net_cls,net_prio": ["net_cls.classid"],
        "net_prio": "net_cls,net_prio",
    }
    assert verdict == "Read-only file system"
    assert not target.exists() or os.listdir(target) == []  # the tmpfs went with the process's namespace
