"""A local volume as the engine and the API see it."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Volume:
    name: str
    driver: str  # always "local"
    mountpoint: Path  # <data-root>/volumes/<name>/_data
    created_at: str  # RFC3339, UTC
    labels: Mapping[str, str] | None  # None (JSON null) when created without labels, as Docker shows it
    options: Mapping[str, str] | None
    anonymous: bool  # created without a name; `volume prune` and `rm -v` remove these
