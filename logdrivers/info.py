"""What a driver and a tag template may know about the container (Docker's logger.Info)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    id: str  # 64 hex
    name: str  # as Docker stores it, with the leading "/": "/web"
    image_id: str  # "sha256:<64 hex>"
    image_name: str  # the reference the user gave (Config.Image), e.g. "busybox:latest"
    entrypoint: str  # the executable the container runs (Docker's Path)
    args: tuple[str, ...]  # its arguments
    created: str  # RFC3339Nano
    log_path: Path  # the json-file log, <data-root>/containers/<id>/<id>-json.log
    env: tuple[str, ...] = ()  # "K=V"
    labels: Mapping[str, str] = field(default_factory=dict)
    daemon_name: str = "porthole"
    hostname: str = ""  # the daemon host's hostname

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def bare_name(self) -> str:
        """The name without its leading "/" ({{.Name}})."""
        return self.name.removeprefix("/")

    @property
    def image_short_id(self) -> str:
        """Docker's TruncateID: drop up to the ":" of the algorithm, keep 12 characters."""
        return self.image_id.partition(":")[2][:12] if ":" in self.image_id else self.image_id[:12]

    @property
    def command(self) -> str:
        """Entrypoint and args joined by spaces, as Docker's Info.Command()."""
        return " ".join((self.entrypoint, *self.args))

    def env_mapping(self) -> dict[str, str]:
        """Env as a dict; an entry without "=" is ignored and a later duplicate wins, as in Docker."""
        mapping: dict[str, str] = {}
        for entry in self.env:
            key, sep, value = entry.partition("=")
            if sep:
                mapping[key] = value
        return mapping
