"""What the builder needs from the engine to run a RUN step: a real container made from the step's parent
image, its output as it comes, its exit code, its writable layer and its cgroup's last counters. The engine
implements it (runtime/engine/buildsteps.py); the builder never imports the engine."""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StepSpec:
    image_id: str
    argv: list[str]
    env: list[str]
    workdir: str
    user: str
    network_mode: str = ""
    extra_hosts: tuple[str, ...] = ()
    resources: dict = field(default_factory=dict)  # HostConfig resource fields: Memory, CpuShares, ...


@dataclass(frozen=True, slots=True)
class StepProfile:
    """A RUN step's cost, read from its container's cgroup at exit (None where the host keeps no counter)."""

    wall_seconds: float
    cpu_seconds: float | None
    peak_memory_bytes: int | None
    written_bytes: int | None  # block I/O written, as the cgroup accounts it


@dataclass(frozen=True, slots=True)
class StepOutcome:
    container_id: str
    exit_code: int
    upper_dir: Path  # the container's writable layer (overlayfs upper), read before `remove`
    profile: StepProfile


class StepRunner(Protocol):
    def create(self, spec: StepSpec) -> str:
        """Create the step's container; its id (shown as `Running in <id>`)."""

    def run(self, container_id: str, output: Callable[[bytes], None], cancelled: threading.Event) -> StepOutcome:
        """Start it, hand its output lines to `output`, wait for its exit (killed when `cancelled` is set)."""

    def remove(self, container_id: str) -> None:
        """Remove the container, its writable layer and its anonymous volumes."""
