"""cAdvisor's machine_* metrics (lib/metrics/prometheus_machine.go): the host's CPUs and memory, labelled
with the machine's identity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from exporter.exposition import escape
from exporter.readers.samples import HostStats


@dataclass(frozen=True, slots=True)
class MachineIdentity:
    machine_id: str
    boot_id: str
    system_uuid: str

    @classmethod
    def read(cls, etc_root: Path = Path("/etc"), proc_root: Path = Path("/proc"), sys_root: Path = Path("/sys")):
        """Each part is "" where the host has none (no DMI in many VMs, no machine-id in a minimal image)."""
        return cls(
            machine_id=_first_line(etc_root / "machine-id"),
            boot_id=_first_line(proc_root / "sys" / "kernel" / "random" / "boot_id"),
            system_uuid=_first_line(sys_root / "class" / "dmi" / "id" / "product_uuid"),
        )

    def labels(self, host: str) -> str:
        """cAdvisor's identity labels, and the host label every series of this exporter carries."""
        return (
            f'boot_id="{escape(self.boot_id)}",host="{escape(host)}",machine_id="{escape(self.machine_id)}",'
            f'system_uuid="{escape(self.system_uuid)}"'
        )


def _first_line(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:  # an absent identity part is exported as "", the way cAdvisor does
        return ""


_MACHINE_METRICS = (
    ("machine_cpu_cores", "Number of logical CPU cores.", lambda h: h.online_cpus),
    ("machine_memory_bytes", "Amount of memory installed on the machine.", lambda h: h.mem_total),
    ("machine_swap_bytes", "Amount of swap memory available on the machine.", lambda h: h.swap_total),
)


def machine_text(host: HostStats, identity: MachineIdentity, host_name: str) -> str:
    labels = identity.labels(host_name)
    out = []
    for name, help_text, get in _MACHINE_METRICS:
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} gauge\n")
        value = get(host)
        if value is not None:
            out.append(f"{name}{{{labels}}} {value}\n")
    return "".join(out)
