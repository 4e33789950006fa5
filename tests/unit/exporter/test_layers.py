"""Writable-layer usage (du semantics, measured on a schedule), device names and machine identity."""

import os
import time

from exporter.layers import LayerUsage, directory_usage, filesystem_usage
from exporter.machine import MachineIdentity, machine_text
from exporter.readers.devices import DeviceNames
from exporter.readers.samples import HostStats
from tests.unit.exporter.conftest import DEVICE_UEVENT, write_tree


def allocated(path) -> int:
    return os.lstat(path).st_blocks * 512


def test_directory_usage_counts_like_du(tmp_path):
    layer = tmp_path / "upper"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "big").write_bytes(b"x" * 100_000)
    os.link(layer / "etc" / "big", layer / "hardlink")  # the same blocks: counted once
    (layer / "link").symlink_to("etc/big")
    errors = []
    expected = sum(allocated(p) for p in (layer, layer / "etc", layer / "etc" / "big", layer / "link"))
    assert directory_usage(str(layer), errors) == expected
    assert errors == []


def test_filesystem_usage_names_the_device_and_the_capacity(tmp_path):
    sys_root = tmp_path / "sys"
    info = os.stat(tmp_path)
    write_tree(
        sys_root / "dev" / "block" / f"{os.major(info.st_dev)}:{os.minor(info.st_dev)}", {"uevent": DEVICE_UEVENT}
    )
    errors = []
    found = filesystem_usage(str(tmp_path), DeviceNames(sys_root), errors, walk=False)
    fs = os.statvfs(tmp_path)
    assert (found.device, found.limit_bytes, found.inodes_total) == ("/dev/vda", fs.f_blocks * fs.f_frsize, fs.f_files)
    assert filesystem_usage(str(tmp_path / "gone"), DeviceNames(sys_root), errors, walk=True) is None
    assert [e.cause for e in errors] == ["No such file or directory"]


def test_unknown_devices_keep_their_numbers(tmp_path):
    assert DeviceNames(tmp_path).name(8, 16) == "8:16"


def test_layer_usage_measures_each_directory_once_per_interval(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    watched = [str(first)]
    failures = []
    usage = LayerUsage(lambda: watched, DeviceNames(tmp_path), 3600.0, failures.extend)
    usage.measure_due()
    measured = usage.usage(str(first)).usage_bytes
    (first / "new").write_bytes(b"y" * 50_000)
    usage.measure_due()
    assert usage.usage(str(first)).usage_bytes == measured  # not due yet
    watched[:] = [str(second), str(tmp_path / "gone")]
    usage.measure_due()
    assert usage.usage(str(first)) is None  # no longer watched: forgotten
    assert usage.usage(str(second)) is not None
    assert [e.path.name for e in failures] == ["gone"]


def test_layer_usage_thread_keeps_measuring(tmp_path):
    layer = tmp_path / "layer"
    layer.mkdir()
    usage = LayerUsage(lambda: [str(layer)], DeviceNames(tmp_path), 0.01, lambda errors: None)
    usage.start()
    try:
        (layer / "grown").write_bytes(b"z" * 200_000)
        deadline = time.monotonic() + 5
        while (found := usage.usage(str(layer))) is None or found.usage_bytes < 200_000:
            assert time.monotonic() < deadline, "the thread did not measure the grown layer"
            time.sleep(0.02)
    finally:
        usage.close()


def test_machine_identity_and_metrics(tmp_path):
    write_tree(tmp_path / "etc", {"machine-id": "abc\n"})
    write_tree(tmp_path / "proc" / "sys" / "kernel" / "random", {"boot_id": "b-1\n"})
    identity = MachineIdentity.read(tmp_path / "etc", tmp_path / "proc", tmp_path / "sys")
    assert identity == MachineIdentity(machine_id="abc", boot_id="b-1", system_uuid="")  # no DMI here
    text = machine_text(HostStats(online_cpus=2, mem_total=1024), identity, "node-1")
    assert 'machine_cpu_cores{boot_id="b-1",host="node-1",machine_id="abc",system_uuid=""} 2\n' in text
    assert 'machine_memory_bytes{boot_id="b-1",host="node-1",machine_id="abc",system_uuid=""} 1024\n' in text
    assert "# TYPE machine_swap_bytes gauge\n" in text
    assert "machine_swap_bytes{" not in text  # unknown: announced, no sample
