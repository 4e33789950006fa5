"""devices (v1): Docker's default device allow-list plus the container's own rules (--device,
--device-cgroup-rule; everything with --privileged), so a container that keeps CAP_MKNOD still cannot open the
host's disks. v2 has no such files: runtime.cgroups.v2.devices attaches an eBPF program made from the same list."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.devicerules import DEFAULT_ALLOW
from runtime.cgroups.resources import Resources


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
