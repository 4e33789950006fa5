import os
from pathlib import Path

import pytest

from runtime.cgroups import DeviceRate, HostInfo, Resources
from runtime.errors import InvalidParameter

HOST = HostInfo(ncpu=2, cpus=frozenset({0, 1}), mems=frozenset({0}))
MiB = 1024 * 1024
INV = "cgroups: invalid HostConfig."


def block_device() -> str:
    """Some block device of this machine, to resolve real major:minor numbers."""
    for entry in sorted(Path("/sys/dev/block").iterdir()):
        name = (entry / "uevent").read_text().split("DEVNAME=")[1].split()[0]
        if Path("/dev", name).is_block_device():
            return f"/dev/{name}"
    pytest.skip("no block device under /dev")


@pytest.mark.parametrize(
    "hc, expected",
    [
        ({}, Resources()),
        ({"Memory": 0, "PidsLimit": 0, "CpuShares": 0, "NanoCpus": None}, Resources()),
        ({"Memory": 64 * MiB}, Resources(memory=64 * MiB, memory_swap=128 * MiB)),
        ({"Memory": 64 * MiB, "MemorySwap": -1}, Resources(memory=64 * MiB, memory_swap=-1)),
        ({"Memory": 64 * MiB, "MemorySwap": 64 * MiB}, Resources(memory=64 * MiB, memory_swap=64 * MiB)),
        (
            {"Memory": 64 * MiB, "MemoryReservation": 32 * MiB},
            Resources(memory=64 * MiB, memory_swap=128 * MiB, memory_reservation=32 * MiB),
        ),
        ({"MemoryReservation": 8 * MiB}, Resources(memory_reservation=8 * MiB)),
        ({"CpuShares": 512}, Resources(cpu_shares=512)),
        ({"CpuShares": 1}, Resources(cpu_shares=2)),  # Docker clamps into the kernel's range
        ({"CpuShares": 10**6}, Resources(cpu_shares=262144)),
        ({"NanoCpus": 1_500_000_000}, Resources(nano_cpus=1_500_000_000)),
        ({"CpuPeriod": 50000, "CpuQuota": 25000}, Resources(cpu_period=50000, cpu_quota=25000)),
        ({"CpuQuota": -1}, Resources(cpu_quota=-1)),
        ({"CpusetCpus": "0-1", "CpusetMems": "0"}, Resources(cpuset_cpus="0-1", cpuset_mems="0")),
        ({"CpusetCpus": "1,0"}, Resources(cpuset_cpus="1,0")),
        ({"BlkioWeight": 10}, Resources(blkio_weight=10)),
        ({"BlkioWeight": 1000}, Resources(blkio_weight=1000)),
        ({"PidsLimit": 100}, Resources(pids_limit=100)),
        ({"PidsLimit": -1}, Resources()),
        ({"OomKillDisable": True}, Resources(oom_kill_disable=True)),
        ({"Unrelated": "ignored", "Binds": ["/a:/b"]}, Resources()),
    ],
)
def test_from_host_config_accepts(hc, expected):
    assert Resources.from_host_config(hc, HOST) == expected


@pytest.mark.parametrize(
    "hc, message",
    [
        ({"Memory": 4 * MiB}, "Minimum memory limit allowed is 6MB"),
        ({"Memory": -1}, "Minimum memory limit allowed is 6MB"),
        (
            {"Memory": 64 * MiB, "MemorySwap": 32 * MiB},
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ),
        (
            {"MemorySwap": 64 * MiB},
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        ),
        ({"MemoryReservation": MiB}, "Minimum memory reservation allowed is 6MB"),
        (
            {"Memory": 16 * MiB, "MemoryReservation": 32 * MiB},
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        ),
        (
            {"NanoCpus": 10**9, "CpuPeriod": 100000},
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ),
        (
            {"NanoCpus": 10**9, "CpuQuota": 50000},
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
        ),
        ({"NanoCpus": 3 * 10**9}, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
        ({"NanoCpus": -1}, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
        ({"NanoCpus": 9_999_999}, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
        (
            {"CpuPeriod": 999},
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
        ),
        (
            {"CpuPeriod": 1_000_001},
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
        ),
        ({"CpuQuota": 999}, "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
        ({"CpuQuota": -2}, INV + "CpuQuota -2: must be -1 (unlimited) or at least 1000"),
        ({"CpuShares": -5}, INV + "CpuShares -5: must not be negative"),
        ({"CpusetCpus": "0-a"}, "Invalid value 0-a for cpuset cpus: invalid format: 0-a"),
        ({"CpusetCpus": "1-0"}, "Invalid value 1-0 for cpuset cpus: invalid format: 1-0"),
        ({"CpusetCpus": "0,,1"}, "Invalid value 0,,1 for cpuset cpus: invalid format: 0,,1"),
        ({"CpusetCpus": "3"}, "Requested CPUs are not available - requested 3, available: 0-1"),
        (
            {"CpusetCpus": "0-99999999"},
            "Requested CPUs are not available - requested 0-99999999, available: 0-1",
        ),
        ({"CpusetMems": "1"}, "Requested memory nodes are not available - requested 1, available: 0"),
        ({"CpusetMems": " 0"}, "Invalid value  0 for cpuset mems: invalid format:  0"),
        ({"BlkioWeight": 9}, "Range of blkio weight is from 10 to 1000"),
        ({"BlkioWeight": 1001}, "Range of blkio weight is from 10 to 1000"),
        ({"Memory": "1g"}, INV + "Memory '1g': expected an integer, got a string"),
        (
            {"NanoCpus": 1.5e9},
            INV + "NanoCpus 1500000000.0: expected an integer, got a floating-point number",
        ),
        ({"PidsLimit": True}, INV + "PidsLimit True: expected an integer, got a boolean"),
        ({"Memory": 1 << 63}, INV + f"Memory {1 << 63}: out of the 64-bit integer range"),
        ({"CpusetCpus": 1}, INV + "CpusetCpus 1: expected a string, got a number"),
        ({"OomKillDisable": "yes"}, INV + "OomKillDisable 'yes': expected a boolean, got a string"),
        (
            {"BlkioDeviceReadBps": {"Path": "/dev/vda"}},
            INV + "BlkioDeviceReadBps {'Path': '/dev/vda'}: expected an array of {\"Path\", \"Rate\"}, got an object",
        ),
        (
            {"BlkioDeviceWriteBps": ["/dev/vda:1mb"]},
            INV + 'BlkioDeviceWriteBps[0] \'/dev/vda:1mb\': expected an object {"Path", "Rate"}, got a string',
        ),
        (
            {"BlkioDeviceReadIOps": [{"Path": "/dev/nonexistent-porthole", "Rate": 10}]},
            INV + "BlkioDeviceReadIOps[0] device /dev/nonexistent-porthole: "
            "stat /dev/nonexistent-porthole: No such file or directory",
        ),
        (
            {"BlkioDeviceWriteIOps": [{"Path": "/dev/null", "Rate": 10}]},
            INV + "BlkioDeviceWriteIOps[0] device /dev/null: not a block device",
        ),
        (
            {"BlkioDeviceReadBps": [{"Path": "/dev/null", "Rate": "1mb"}]},
            INV + "BlkioDeviceReadBps[0].Rate '1mb': expected an integer, got a string",
        ),
        (
            {"BlkioDeviceReadBps": [{"Path": "/dev/null", "Rate": -1}]},
            INV + "BlkioDeviceReadBps[0].Rate -1: must not be negative",
        ),
        (
            {"BlkioDeviceReadBps": [{"Rate": 1}]},
            INV + "BlkioDeviceReadBps[0].Path '': a device path is required",
        ),
        ("not an object", "cgroups: invalid HostConfig 'not an object': expected an object"),
    ],
)
def test_from_host_config_rejects(hc, message):
    with pytest.raises(InvalidParameter) as info:
        Resources.from_host_config(hc, HOST)
    assert info.value.message == message


def test_device_rates_resolve_major_minor():
    device = block_device()
    rdev = Path(device).stat().st_rdev
    expected = DeviceRate(os.major(rdev), os.minor(rdev), 1048576)
    hc = {
        "BlkioDeviceReadBps": [{"Path": device, "Rate": 1048576}],
        "BlkioDeviceWriteIOps": [{"Path": device, "Rate": 1048576}],
    }
    res = Resources.from_host_config(hc, HOST)
    assert res.device_read_bps == (expected,)
    assert res.device_write_iops == (expected,)
    assert res.device_write_bps == ()


@pytest.mark.parametrize(
    "res, period_quota",
    [
        (Resources(), (None, None)),
        (Resources(nano_cpus=1_500_000_000), (100000, 150000)),
        (Resources(nano_cpus=10_000_000), (100000, 1000)),
        (Resources(cpu_period=50000, cpu_quota=20000), (50000, 20000)),
        (Resources(cpu_quota=20000), (None, 20000)),
    ],
)
def test_cfs_period_quota(res, period_quota):
    assert res.cfs_period_quota() == period_quota


def test_host_info_detect_reads_cpus_and_nodes(tmp_path):
    nodes = tmp_path / "online"
    nodes.write_text("0-1\n")
    info = HostInfo.detect(nodes)
    assert info.mems == frozenset({0, 1})
    assert info.ncpu == len(info.cpus) >= 1
    assert HostInfo.detect(tmp_path / "missing").mems == frozenset({0})
