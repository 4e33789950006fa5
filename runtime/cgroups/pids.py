"""pids: the task limit (same file in v1 and v2)."""

from __future__ import annotations

from pathlib import Path

from runtime.cgroups import discarded
from runtime.cgroups.cgroupfile import has_file, write_file
from runtime.cgroups.resources import Resources


class Pids:
    name = "pids"

    def set(self, cg: Path, res: Resources) -> list[str]:
        if res.pids_limit is None:
            return []
        if not has_file(cg, "pids.max"):
            return [discarded.PIDS]
        write_file(cg, "pids.max", str(res.pids_limit))
        return []
