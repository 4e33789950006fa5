"""The builder's RUN steps as real containers, through the same create/start/logs/remove machinery `docker run`
uses: Docker's default isolation, the image's volumes, the build's network and resource flags, the json-file
log whatever the daemon's default driver (the build streams the step's output from it)."""

import threading
import time
from collections.abc import Callable

from logdrivers.driver import ReadConfig
from runtime.engine.config import DaemonConfig
from runtime.engine.containers import Containers
from runtime.engine.exitsamples import ExitSamples
from runtime.engine.launch import Layout
from runtime.engine.lifecycle import Lifecycle
from runtime.errors import NotFound
from runtime.images.builder.runner import StepOutcome, StepProfile, StepSpec

CANCEL_POLL = 0.2


class EngineStepRunner:
    def __init__(
        self, config: DaemonConfig, containers: Containers, lifecycle: Lifecycle, exit_samples: ExitSamples
    ) -> None:
        self._config = config
        self._containers = containers
        self._lifecycle = lifecycle
        self._exit_samples = exit_samples

    def create(self, spec: StepSpec) -> str:
        host_config = {
            "LogConfig": {"Type": "json-file", "Config": {}},
            "NetworkMode": spec.network_mode or "bridge",
            "ExtraHosts": list(spec.extra_hosts) or None,
            **spec.resources,
        }
        body = {
            "Image": spec.image_id,
            "Cmd": spec.argv,
            "Entrypoint": [""],  # the step's command alone, never the image's entrypoint
            "Env": spec.env,
            "WorkingDir": spec.workdir,
            "User": spec.user,
            "HostConfig": host_config,
        }
        container = self._containers.create(None, body, scratch=not spec.image_id).container
        self._exit_samples.want(container.id)
        return container.id

    def run(self, container_id: str, output: Callable[[bytes], None], cancelled: threading.Event) -> StepOutcome:
        container = self._containers.get(container_id)
        watch = self._lifecycle.watch
        exited = watch.condition(container, "next-exit")
        started = time.monotonic()
        self._lifecycle.start(container)
        stop = threading.Event()

        def kill_when_cancelled() -> None:
            while not watch.wait_until(exited, CANCEL_POLL):
                if cancelled.is_set():
                    stop.set()
                    self._lifecycle.remove(container, force=True, volumes=True)
                    return

        guard = threading.Thread(target=kill_when_cancelled, name="build-step-cancel", daemon=True)
        guard.start()
        cfg = ReadConfig(follow=True, stop=stop)
        for message in self._containers.logs(container, cfg, still_running=lambda: not exited()):
            output(message.line + (b"" if message.partial is not None and not message.partial.last else b"\n"))
        watch.wait_until(exited, None)
        wall = time.monotonic() - started
        guard.join()
        sample = self._exit_samples.pop(container_id)
        return StepOutcome(
            container_id,
            container.state.exit_code,
            Layout(self._config, container_id).directory / "fs" / "upper",
            _profile(wall, sample),
        )

    def remove(self, container_id: str) -> None:
        self._exit_samples.pop(container_id)
        try:
            container = self._containers.get(container_id)
        except NotFound:
            return  # a cancelled step's container, removed by its guard already
        self._lifecycle.remove(container, force=True, volumes=True)


def _profile(wall: float, sample) -> StepProfile:
    if sample is None:
        return StepProfile(wall, None, None, None)
    cpu = sample.cpu.usage_ns / 1e9 if sample.cpu and sample.cpu.usage_ns is not None else None
    peak = sample.memory.max_usage if sample.memory else None
    written = sum(device.write_bytes for device in sample.blkio) if sample.blkio else None
    return StepProfile(wall, cpu, peak, written)
