"""Each resource flag of `docker run` lands in its cgroup v1 file and in inspect's HostConfig, and the kernel
enforces it."""

import os

import pytest

from runtime.cgroups import detect_mode

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(detect_mode() != "v1", reason="these read cgroup v1 files (the v2 code has unit tests)"),
]

MIB = 1 << 20


def _root_device() -> tuple[str, str]:
    """A block device of the host and its MAJ:MIN, for the per-device flags."""
    for name in sorted(os.listdir("/sys/block")):
        path = f"/dev/{name}"
        if not name.startswith(("loop", "ram")) and os.path.exists(path):
            with open(f"/sys/block/{name}/dev") as f:
                return path, f.read().strip()
    pytest.skip("no block device on this host")


def _cgroup_file(ph, controller: str, cid: str, name: str) -> str:
    with open(f"/sys/fs/cgroup/{controller}/{ph.cgroup_parent}/{cid}/{name}") as f:
        return f.read().strip()


def _run(ph, *flags: str) -> str:
    result = ph.docker("run", "-d", *flags, "busybox", "sleep", "60")
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().strip()


SIMPLE_FLAGS = [
    # flags, controller, file, file content, HostConfig field, HostConfig value
    (["-m", "64m"], "memory", "memory.limit_in_bytes", str(64 * MIB), "Memory", 64 * MIB),
    (
        ["-m", "64m", "--memory-swap", "96m"],
        "memory",
        "memory.memsw.limit_in_bytes",
        str(96 * MIB),
        "MemorySwap",
        96 * MIB,
    ),
    (
        ["--memory-reservation", "32m"],
        "memory",
        "memory.soft_limit_in_bytes",
        str(32 * MIB),
        "MemoryReservation",
        32 * MIB,
    ),
    (["-c", "512"], "cpu", "cpu.shares", "512", "CpuShares", 512),
    (["--cpu-shares", "2048"], "cpu", "cpu.shares", "2048", "CpuShares", 2048),
    (["--cpus", "1.5"], "cpu", "cpu.cfs_quota_us", "150000", "NanoCpus", 1_500_000_000),
    (["--cpus", "0.5"], "cpu", "cpu.cfs_period_us", "100000", "NanoCpus", 500_000_000),
    (["--cpuset-cpus", "0"], "cpuset", "cpuset.cpus", "0", "CpusetCpus", "0"),
    (["--pids-limit", "50"], "pids", "pids.max", "50", "PidsLimit", 50),
]


@pytest.mark.parametrize(
    ("flags", "controller", "name", "content", "field", "value"),
    SIMPLE_FLAGS,
    ids=[" ".join(f[0]) for f in SIMPLE_FLAGS],
)
def test_flag_lands_in_its_cgroup_file_and_host_config(ph, client, flags, controller, name, content, field, value):
    cid = _run(ph, *flags)
    assert _cgroup_file(ph, controller, cid, name) == content
    assert client.api.inspect_container(cid)["HostConfig"][field] == value


def test_memory_without_swap_flag_gets_twice_the_memory_as_memsw(ph, client):
    cid = _run(ph, "-m", "64m")
    assert _cgroup_file(ph, "memory", cid, "memory.memsw.limit_in_bytes") == str(128 * MIB)
    assert client.api.inspect_container(cid)["HostConfig"]["MemorySwap"] == 128 * MIB  # as moby fills it in


def test_memory_swap_minus_one_leaves_swap_unlimited(ph, client):
    cid = _run(ph, "-m", "64m", "--memory-swap", "-1")
    assert int(_cgroup_file(ph, "memory", cid, "memory.memsw.limit_in_bytes")) > 1 << 60
    assert client.api.inspect_container(cid)["HostConfig"]["MemorySwap"] == -1


def test_oom_kill_disable(ph, client):
    cid = _run(ph, "-m", "64m", "--oom-kill-disable")
    oom_control = dict(line.split() for line in _cgroup_file(ph, "memory", cid, "memory.oom_control").splitlines())
    assert oom_control["oom_kill_disable"] == "1"
    assert client.api.inspect_container(cid)["HostConfig"]["OomKillDisable"] is True


def test_blkio_weight(ph, client):
    cid = _run(ph, "--blkio-weight", "300")
    directory = f"/sys/fs/cgroup/blkio/{ph.cgroup_parent}/{cid}"
    name = next((n for n in ("blkio.bfq.weight", "blkio.weight") if os.path.exists(f"{directory}/{n}")), None)
    if name is None:
        pytest.skip("no proportional blkio weight on this kernel (no BFQ or CFQ)")
    assert _cgroup_file(ph, "blkio", cid, name).split()[-1] == "300"
    assert client.api.inspect_container(cid)["HostConfig"]["BlkioWeight"] == 300


@pytest.mark.parametrize(
    ("flag", "name", "field", "given", "rate"),
    [
        ("--device-read-bps", "blkio.throttle.read_bps_device", "BlkioDeviceReadBps", "1mb", MIB),
        ("--device-write-bps", "blkio.throttle.write_bps_device", "BlkioDeviceWriteBps", "2mb", 2 * MIB),
        ("--device-read-iops", "blkio.throttle.read_iops_device", "BlkioDeviceReadIOps", "100", 100),
        ("--device-write-iops", "blkio.throttle.write_iops_device", "BlkioDeviceWriteIOps", "200", 200),
    ],
)
def test_device_throttles(ph, client, flag, name, field, given, rate):
    device, numbers = _root_device()
    cid = _run(ph, flag, f"{device}:{given}")
    assert _cgroup_file(ph, "blkio", cid, name) == f"{numbers} {rate}"
    assert client.api.inspect_container(cid)["HostConfig"][field] == [{"Path": device, "Rate": rate}]


def test_docker_py_limits_land_too(ph, client):
    container = client.containers.run(
        "busybox",
        ["sleep", "60"],
        detach=True,
        mem_limit="48m",
        memswap_limit="64m",
        cpu_shares=256,
        nano_cpus=250_000_000,
        pids_limit=20,
    )
    assert _cgroup_file(ph, "memory", container.id, "memory.limit_in_bytes") == str(48 * MIB)
    assert _cgroup_file(ph, "memory", container.id, "memory.memsw.limit_in_bytes") == str(64 * MIB)
    assert _cgroup_file(ph, "cpu", container.id, "cpu.shares") == "256"
    assert _cgroup_file(ph, "cpu", container.id, "cpu.cfs_quota_us") == "25000"
    assert _cgroup_file(ph, "pids", container.id, "pids.max") == "20"
    fmt = "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.NanoCpus}}"
    out = ph.docker("inspect", "-f", fmt, container.id, check=True).stdout.decode().split()
    assert out == [str(48 * MIB), str(64 * MIB), "256", "250000000"]


def test_unlimited_container_has_no_limits_in_its_cgroup(ph, client):
    cid = _run(ph)
    assert int(_cgroup_file(ph, "memory", cid, "memory.limit_in_bytes")) > 1 << 60
    assert _cgroup_file(ph, "cpu", cid, "cpu.cfs_quota_us") == "-1"
    assert _cgroup_file(ph, "pids", cid, "pids.max") == "max"
    hc = client.api.inspect_container(cid)["HostConfig"]
    assert (hc["Memory"], hc["NanoCpus"], hc["CpuShares"]) == (0, 0, 0)
    assert hc["PidsLimit"] in (None, 0)


def test_pids_limit_stops_forks(ph):
    result = ph.docker(
        "run", "--rm", "--pids-limit", "5", "busybox", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait"
    )
    assert b"can't fork" in result.stderr or b"Resource temporarily unavailable" in result.stderr


def test_cpuset_pins_the_process(ph, client):
    cid = _run(ph, "--cpuset-cpus", "0")
    pid = client.api.inspect_container(cid)["State"]["Pid"]
    with open(f"/proc/{pid}/status") as f:
        allowed = next(line.split()[1] for line in f if line.startswith("Cpus_allowed_list:"))
    assert allowed == "0"


def test_memory_limit_is_seen_in_stats_and_enforced(ph, client):
    cid = _run(ph, "-m", "16m")
    assert client.containers.get(cid).stats(stream=False, one_shot=True)["memory_stats"]["limit"] == 16 * MIB
    result = ph.docker("exec", cid, "sh", "-c", "dd if=/dev/zero of=/dev/shm/f bs=1M count=40")
    assert result.returncode != 0  # the dd (or the whole container) is killed at the limit


def test_the_containers_process_is_in_every_v1_hierarchy(ph, client):
    cid = _run(ph)
    pid = client.api.inspect_container(cid)["State"]["Pid"]
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [line.strip().split(":", 2) for line in f]
    for _, controllers, path in lines:
        if controllers and controllers != "" and not controllers.startswith("name=") or controllers == "name=systemd":
            assert path == f"/{ph.cgroup_parent}/{cid}", (controllers, path)
