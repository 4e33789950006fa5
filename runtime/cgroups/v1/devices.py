"""devices (v1): Docker's default device allow-list plus the container's own rules (--device,
--device-cgroup-rule; everything with --privileged), so a container that keeps CAP_MKNOD still cannot open the
host's disks. v2 needs an eBPF program for this (runc's devices/ebpf_linux.go), which porthole lacks."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.resources import Resources

# moby oci/defaults.go: null, zero, full, random, urandom, tty, console, ptmx, pts/* (and mknod of any char
# or block device, which is harmless once open is refused)
DEFAULT_ALLOW = (
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
)


class DevicesV1:
    name = "devices"

    def set(self, cg: Path, res: Resources) -> list[str]:
        if not has_file(cg, "devices.deny"):
            return []
        if any(rule.startswith("a ") for rule in res.device_rules):
            write_file(cg, "devices.allow", "a")
            return []
        write_file(cg, "devices.deny", "a")
        for rule in DEFAULT_ALLOW + res.device_rules:
            write_file(cg, "devices.allow", rule)
        return []
