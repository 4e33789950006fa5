"""The per-controller unit both managers loop over (runc's subsystem): same shape in v1 and v2."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from runtime.cgroups.resources import Resources


class Controller(Protocol):
    name: str

    def set(self, directory: Path, res: Resources) -> list[str]:
        """Write this controller's limits into the group dir; return warnings for missing files."""
