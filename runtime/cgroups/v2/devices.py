"""devices (v2): there are no devices.allow files in cgroup v2; the allow-list is an eBPF program attached to
the group (runc's devices/ebpf_linux.go), built from the same list as v1's (runtime.cgroups.devicerules)."""

from __future__ import annotations

import os
from pathlib import Path

from runtime.cgroups.devicerules import allowed
from runtime.cgroups.resources import Resources
from runtime.cgroups.v2.devicefilter import device_program
from runtime.errors import HostError
from runtime.linux.bpf import attach_device_program, load_device_program


def attach_program(cg: Path, program: bytes) -> None:
    """Load and attach; module-level so that tests on fake cgroup trees can stand in for the kernel."""
    fd = load_device_program(program)
    try:
        attach_device_program(str(cg), fd)
    finally:
        os.close(fd)


class DevicesV2:
    name = "devices"

    def set(self, cg: Path, res: Resources) -> list[str]:
        try:
            attach_program(cg, device_program(allowed(res)))
        except OSError as e:
            raise HostError(f"cgroups: cannot attach the device program to {cg}: {e.strerror}") from e
        return []
