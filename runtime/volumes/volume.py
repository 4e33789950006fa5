"""A volume as the engine and the API see it, and what a volume plugin says of one of its own."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Volume:
    name: str
    driver: str  # "local", or a volume plugin's name
    mountpoint: Path  # <data-root>/volumes/<name>/_data
    created_at: str  # RFC3339, UTC
    labels: Mapping[str, str] | None  # None (JSON null) when created without labels, as Docker shows it
    options: Mapping[str, str] | None
    anonymous: bool  # created without a name; `volume prune` and `rm -v` remove these


@dataclass(frozen=True)
class PluginView:
    """A plugin's volume as its Get and Capabilities describe it: where it is mounted, its status, its scope."""

    mountpoint: str
    status: Mapping[str, Any] | None
    scope: str  # "local" or "global"
