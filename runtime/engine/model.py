"""A container as the engine keeps it: its creation-time configuration and its changing state."""

from dataclasses import dataclass, field, fields
from typing import Any

from common.rfc3339 import NEVER
from logdrivers.registry import LogConfig

CREATED, RUNNING, PAUSED, RESTARTING, EXITED, DEAD, REMOVING = (
    "created",
    "running",
    "paused",
    "restarting",
    "exited",
    "dead",
    "removing",
)
LIVE = (RUNNING, PAUSED)  # a process exists
_NOT_IN_CONFIG_RECORD = ("state", "log_config")
STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"
HEALTH_LOG_ENTRIES = 5  # moby keeps the last five probe results


@dataclass
class HealthResult:
    start_ns: int  # unix nanoseconds
    end_ns: int
    exit_code: int  # -1 for a probe that timed out or could not run
    output: str  # stdout and stderr together, the first 4 KiB


@dataclass
class Health:
    status: str = STARTING
    failing_streak: int = 0
    log: list[HealthResult] = field(default_factory=list)

    def record(self, result: HealthResult) -> None:
        self.log = [*self.log, result][-HEALTH_LOG_ENTRIES:]

    @classmethod
    def from_record(cls, record: dict[str, Any] | None) -> "Health | None":
        if record is None:
            return None
        return cls(record["status"], record["failing_streak"], [HealthResult(**r) for r in record["log"]])


@dataclass
class State:
    status: str = CREATED
    pid: int = 0
    pid_starttime: int = 0
    shim_pid: int = 0
    exit_code: int = 0
    error: str = ""
    oom_killed: bool = False
    started_at: str = NEVER
    finished_at: str = NEVER
    restart_count: int = 0
    manually_stopped: bool = False
    health: Health | None = None  # with a healthcheck, since its first start

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass
class Container:
    id: str
    name: str  # without Docker's leading slash
    created: str
    image_ref: str  # Config.Image as the client gave it
    image_id: str
    config: dict[str, Any]  # Docker's Config, merged with the image's
    host_config: dict[str, Any]  # Docker's HostConfig as created, with defaults filled in
    networking_config: dict[str, Any]
    mounts: list[dict[str, Any]]  # runtime.volumes MountPoint fields
    path: str
    args: list[str]
    layers: list[str]  # the image's layer dirs, base first, held for the container even if the image goes
    state: State = field(default_factory=State)
    # HostConfig.LogConfig parsed: at create, and once more after a daemon restart (runtime.engine.logconfig).
    # Not written to config.json: its options are the drivers' own objects, and the text they come from is there.
    log_config: LogConfig | None = field(default=None, repr=False, compare=False)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def argv(self) -> list[str]:
        return [self.path, *self.args]

    def config_record(self) -> dict[str, Any]:
        """What config.json holds: the creation-time fields (the state has a file of its own)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_IN_CONFIG_RECORD}

    @classmethod
    def from_records(cls, config: dict[str, Any], state: dict[str, Any]) -> "Container":
        return cls(**config, state=State(**{**state, "health": Health.from_record(state.get("health"))}))
