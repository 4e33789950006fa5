"""cgroup v2's device program against v1's devices.allow, on this machine's kernel: the same allow-list (Docker's
defaults, and a --device rule) gives the same decision for every default device, a denied disk and a device
allowed for reading only, whether the kernel enforces it as a v1 devices cgroup or as the eBPF program attached
to a group of the (otherwise empty) v2 hierarchy of this hybrid host."""

import errno
import json
import os
import secrets
import stat
from pathlib import Path

import pytest

from runtime.cgroups.devicerules import allowed
from runtime.cgroups.resources import Resources
from runtime.cgroups.v1.devices import DevicesV1
from runtime.cgroups.v2.devices import DevicesV2

pytestmark = pytest.mark.root

V1_DEVICES = Path("/sys/fs/cgroup/devices")
V2_ROOT = Path("/sys/fs/cgroup/unified")
# (type, major, minor, how): every default device, pts, a disk (loop0) and loop-control, which a rule below
# allows for reading only
NODES = [
    ("c", 1, 3, "rw"), ("c", 1, 5, "rw"), ("c", 1, 7, "rw"), ("c", 1, 8, "r"), ("c", 1, 9, "r"),
    ("c", 5, 0, "rw"), ("c", 5, 2, "rw"), ("c", 136, 0, "rw"), ("c", 10, 237, "r"), ("c", 10, 237, "w"),
    ("b", 7, 0, "r"), ("c", 1, 11, "w"),
]  # fmt: skip
RESOURCES = Resources(device_rules=("c 10:237 r",))


def _try(directory: Path) -> list[str]:
    """mknod each node in `directory`, then open it as asked: what the device cgroup decided."""
    answers = []
    for kind, major, minor, how in NODES:
        path = directory / f"{kind}{major}-{minor}-{how}"
        mode = (stat.S_IFCHR if kind == "c" else stat.S_IFBLK) | 0o600
        try:
            os.mknod(path, mode, os.makedev(major, minor))
            flags = os.O_RDONLY if how == "r" else os.O_RDWR
            os.close(os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY))
            answers.append("ok")
        except OSError as e:
            answers.append(errno.errorcode[e.errno])
    return answers


def _decisions_in(procs: Path, scratch: Path) -> list[str]:
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            procs.write_text(str(os.getpid()))
            os.write(write_end, json.dumps(_try(scratch)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end) as f:
        return json.load(f)


@pytest.fixture
def groups():
    if not (V1_DEVICES / "devices.allow").exists() or not (V2_ROOT / "cgroup.procs").exists():
        pytest.skip("needs a hybrid host: a v1 devices hierarchy and the v2 one at /sys/fs/cgroup/unified")
    name = f"porthole-test-devices-{secrets.token_hex(3)}"
    made = [V1_DEVICES / name, V2_ROOT / name]
    for group in made:
        group.mkdir()
    try:
        yield made
    finally:
        for group in made:
            group.rmdir()


def test_the_program_decides_as_devices_allow(groups, tmp_path):
    v1, v2 = groups
    DevicesV1().set(v1, RESOURCES)
    DevicesV2().set(v2, RESOURCES)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    by_v1 = _decisions_in(v1 / "cgroup.procs", tmp_path / "v1")
    by_v2 = _decisions_in(v2 / "cgroup.procs", tmp_path / "v2")
    assert by_v2 == by_v1
    decided = dict(zip(NODES, by_v2, strict=True))
    assert decided[("c", 1, 3, "rw")] == "ok"  # /dev/null
    assert decided[("b", 7, 0, "r")] == "EPERM"  # a disk
    assert decided[("c", 10, 237, "r")] == "ok" and decided[("c", 10, 237, "w")] == "EPERM"  # the rule's r only
    assert decided[("c", 1, 11, "w")] == "EPERM"  # /dev/kmsg: not in the list


def test_privileged_allows_every_device(groups, tmp_path):
    _, v2 = groups
    DevicesV2().set(v2, Resources(device_rules=("a *:* rwm",)))
    assert allowed(Resources(device_rules=("a *:* rwm",)))[0].type == "a"
    assert "EPERM" not in _decisions_in(v2 / "cgroup.procs", tmp_path)
