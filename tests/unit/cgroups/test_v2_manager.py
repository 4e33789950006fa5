"""The v2 manager against a fake unified host: controllers enabled, converted values, freeze waiting."""

import errno
import threading
from pathlib import Path

import pytest

from runtime.cgroups import DeviceRate, Resources, discarded, open_manager
from runtime.cgroups.cgroupfile import CgroupWriteError
from runtime.cgroups.v2 import manager as v2_manager
from runtime.errors import HostError

FULL = Resources(
    memory=64 << 20,
    memory_swap=128 << 20,
    memory_reservation=32 << 20,
    cpu_shares=1024,
    nano_cpus=500_000_000,
    cpuset_cpus="0-1",
    cpuset_mems="0",
    blkio_weight=500,
    device_read_bps=(DeviceRate(254, 0, 1048576),),
    device_write_bps=(DeviceRate(254, 0, 2097152),),
    device_read_iops=(DeviceRate(254, 0, 100),),
    device_write_iops=(DeviceRate(254, 0, 200),),
    pids_limit=50,
)


def group(root: Path) -> Path:
    return root / "porthole" / "c1"


def manager(root: Path, timeout: float = 10.0):
    return open_manager("porthole/c1", cgroup_root=root, mode="v2", timeout=timeout)


def test_create_passes_controllers_down_every_level(v2_host):
    manager(v2_host).create()
    assert (v2_host / "cgroup.subtree_control").read_text() == "+cpuset +cpu +io +memory +pids"
    assert (v2_host / "porthole" / "cgroup.subtree_control").read_text() == "+cpuset +cpu +io +memory +pids"
    assert (group(v2_host) / "cgroup.subtree_control").read_text() == "\n"  # the leaf keeps its own


def test_create_enables_only_what_is_missing_and_available(v2_host):
    (v2_host / "cgroup.controllers").write_text("cpu memory pids\n")
    (v2_host / "cgroup.subtree_control").write_text("cpu memory\n")
    manager(v2_host).create()
    assert (v2_host / "cgroup.subtree_control").read_text() == "+pids"
    assert (v2_host / "porthole" / "cgroup.subtree_control").read_text() == "+cpu +memory +pids"


@pytest.mark.parametrize("group_type", ["threaded", "domain invalid"])
def test_create_refuses_a_group_where_domain_controllers_cannot_work(v2_host, group_type):
    (group(v2_host) / "cgroup.type").write_text(group_type + "\n")
    with pytest.raises(HostError, match=f"its cgroup.type is '{group_type}'"):
        manager(v2_host).create()


def _busy_once(monkeypatch, busy_dir: Path):
    """The kernel's answer when a group with processes hands controllers down."""
    real_write = v2_manager.write_file
    failed = []

    def write_file(directory: Path, name: str, value: str) -> None:
        if directory == busy_dir and name == "cgroup.subtree_control" and not failed:
            failed.append(value)
            raise CgroupWriteError(directory / name, value, OSError(errno.EBUSY, "Device or resource busy"))
        real_write(directory, name, value)

    monkeypatch.setattr(v2_manager, "write_file", write_file)


def test_a_busy_root_has_its_processes_moved_to_init(v2_host, monkeypatch):
    (v2_host / "cgroup.procs").write_text("1\n")
    (v2_host / "init").mkdir()
    (v2_host / "init" / "cgroup.procs").write_text("")
    _busy_once(monkeypatch, v2_host)
    manager(v2_host).create()
    assert (v2_host / "init" / "cgroup.procs").read_text() == "1"
    assert (v2_host / "cgroup.subtree_control").read_text() == "+cpuset +cpu +io +memory +pids"


def test_a_busy_intermediate_group_is_explained(v2_host, monkeypatch):
    _busy_once(monkeypatch, v2_host / "porthole")
    with pytest.raises(HostError, match=r"porthole: it holds processes, .* \(no-internal-process rule\)"):
        manager(v2_host).create()


@pytest.mark.parametrize(
    "name, value",
    [
        ("memory.max", str(64 << 20)),
        ("memory.swap.max", str(64 << 20)),  # memory+swap 128 MiB - memory 64 MiB
        ("memory.low", str(32 << 20)),
        ("cpu.weight", "100"),  # 1024 shares, new formula
        ("cpu.max", "50000 100000"),
        ("cpuset.cpus", "0-1"),
        ("cpuset.mems", "0"),
        ("io.weight", "4950"),  # no io.bfq.weight here: 500 on the 1-10000 scale
        ("io.max", "254:0 rbps=1048576 wbps=2097152 riops=100 wiops=200"),
        ("pids.max", "50"),
    ],
)
def test_set_writes_converted_values(v2_host, name, value):
    assert manager(v2_host).set(FULL) == []
    assert (group(v2_host) / name).read_text() == value


def test_bfq_weight_takes_the_blkio_scale(v2_host):
    (group(v2_host) / "io.bfq.weight").write_text("100\n")
    manager(v2_host).set(Resources(blkio_weight=500))
    assert (group(v2_host) / "io.bfq.weight").read_text() == "500"
    assert (group(v2_host) / "io.weight").read_text() == "default 100\n"


@pytest.mark.parametrize(
    "res, name, value",
    [
        (Resources(memory=64 << 20, memory_swap=-1), "memory.swap.max", "max"),
        (Resources(memory=64 << 20, memory_swap=64 << 20), "memory.swap.max", "0"),
        (Resources(cpu_period=50000), "cpu.max", "max 50000"),
        (Resources(cpu_quota=20000), "cpu.max", "20000 100000"),
        (Resources(cpu_shares=2), "cpu.weight", "1"),
        (Resources(cpu_shares=262144), "cpu.weight", "10000"),
    ],
)
def test_set_conversions(v2_host, res, name, value):
    manager(v2_host).set(res)
    assert (group(v2_host) / name).read_text() == value


def test_oom_kill_disable_is_a_warning_on_v2(v2_host):
    assert manager(v2_host).set(Resources(oom_kill_disable=True)) == [discarded.OOM_KILL_DISABLE]


def test_missing_controllers_give_dockers_warnings(v2_host):
    for f in group(v2_host).iterdir():
        if not f.name.startswith("cgroup."):
            f.unlink()
    assert manager(v2_host).set(FULL) == [
        discarded.CPUSET,
        discarded.MEMORY,
        discarded.CPU_SHARES,
        discarded.CPU_CFS,
        discarded.BLKIO_WEIGHT,
        discarded.READ_BPS,
        discarded.WRITE_BPS,
        discarded.READ_IOPS,
        discarded.WRITE_IOPS,
        discarded.PIDS,
    ]


def test_swap_without_swap_accounting_is_a_warning(v2_host):
    (group(v2_host) / "memory.swap.max").unlink()
    assert manager(v2_host).set(Resources(memory=64 << 20, memory_swap=128 << 20)) == [discarded.SWAP]
    assert (group(v2_host) / "memory.max").read_text() == str(64 << 20)


def test_freeze_waits_for_the_kernel_to_report_frozen(v2_host):
    events = group(v2_host) / "cgroup.events"
    freeze = group(v2_host) / "cgroup.freeze"
    answering, stop = threading.Event(), threading.Event()

    def kernel():
        # the "kernel": once asked, it reports the group frozen
        while freeze.read_text() != "1":
            if stop.wait(0.001):
                return
        answering.set()  # before the answer lands: a freeze that waited for the answer must see it set
        events.write_text("populated 1\nfrozen 1\n")

    thread = threading.Thread(target=kernel)
    thread.start()
    try:
        manager(v2_host).freeze(True)
        assert answering.is_set()
        assert events.read_text() == "populated 1\nfrozen 1\n"
    finally:
        stop.set()
        thread.join()


def test_freeze_gives_up_at_the_deadline_and_thaws(v2_host):
    with pytest.raises(HostError, match=r"timed out after 0.2s waiting for 'frozen 1' in .*cgroup.events"):
        manager(v2_host, timeout=0.2).freeze(True)
    assert (group(v2_host) / "cgroup.freeze").read_text() == "0"


@pytest.mark.parametrize(
    "asked, events, frozen",
    [
        ("1\n", "populated 1\nfrozen 1\n", True),
        ("1\n", "populated 1\nfrozen 0\n", False),
        ("0\n", "populated 1\nfrozen 0\n", False),
    ],
)
def test_is_frozen_is_the_kernels_word_in_cgroup_events_not_the_request(v2_host, asked, events, frozen):
    (group(v2_host) / "cgroup.freeze").write_text(asked)
    (group(v2_host) / "cgroup.events").write_text(events)
    assert manager(v2_host).is_frozen() is frozen


def test_a_group_without_cgroup_events_is_not_frozen(v2_host):
    (group(v2_host) / "cgroup.events").unlink()
    assert manager(v2_host).is_frozen() is False


def test_freeze_needs_kernel_5_2(v2_host):
    (group(v2_host) / "cgroup.freeze").unlink()
    with pytest.raises(HostError, match=r"no cgroup.freeze \(the v2 freezer needs kernel 5.2\)"):
        manager(v2_host).freeze(True)


@pytest.mark.parametrize(
    "events, kills",
    [("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n", 1), (None, 0)],
)
def test_oom_kills(v2_host, events, kills):
    path = group(v2_host) / "memory.events"
    if events is None:
        path.unlink()
    else:
        path.write_text(events)
    assert manager(v2_host).oom_kills() == kills


def test_paths_and_procs_files(v2_host):
    m = manager(v2_host)
    assert m.paths() == {"": group(v2_host)}
    assert m.procs_files() == [group(v2_host) / "cgroup.procs"]
