"""`docker exec`: exec instances of running containers, started through the shim zygote."""

import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.config import DaemonConfig
from runtime.engine.events import EventBus
from runtime.engine.launch import Layout, cgroup_for
from runtime.engine.model import PAUSED, RUNNING, Container
from runtime.engine.shims import ShimLauncher
from runtime.errors import Conflict, InvalidParameter, NotFound
from runtime.security import SecurityPolicy


@dataclass
class ExecInstance:
    id: str
    container: Container
    config: dict[str, Any]
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def inspect(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "ID": self.id,
            "ContainerID": self.container.id,
            "Running": self.running,
            "ExitCode": self.exit_code,
            "Pid": self.pid,
            "OpenStdin": False,
            "OpenStdout": bool(cfg.get("AttachStdout")),
            "OpenStderr": bool(cfg.get("AttachStderr")),
            "CanRemove": False,
            "DetachKeys": "",
            "ProcessConfig": {
                "tty": False,
                "entrypoint": cfg["Cmd"][0],
                "arguments": cfg["Cmd"][1:],
                "privileged": bool(cfg.get("Privileged")),
                "user": cfg.get("User") or "",
            },
        }


@dataclass
class ExecStreams:
    stdout: int
    stderr: int
    status: Any  # a binary file object on the status pipe


class Execs:
    def __init__(self, config: DaemonConfig, shims: ShimLauncher, events: EventBus, security: SecurityPolicy) -> None:
        self._config = config
        self._security = security
        self._shims = shims
        self._events = events
        self._lock = threading.Lock()
        self._instances: dict[str, ExecInstance] = {}

    def create(self, container: Container, body: dict[str, Any]) -> ExecInstance:
        _refuse_unless_running(container)
        cmd = body.get("Cmd")
        if not cmd or not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd):
            raise InvalidParameter("No exec command specified")
        if body.get("Tty") or body.get("AttachStdin"):
            raise InvalidParameter("porthole: exec: Tty and stdin are not supported yet; run without -t and -i")
        instance = ExecInstance(secrets.token_hex(32), container, body)
        with self._lock:
            self._instances[instance.id] = instance
        self._event(instance, "exec_create")
        return instance

    def get(self, exec_id: str) -> ExecInstance:
        with self._lock:
            instance = self._instances.get(exec_id)
        if instance is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return instance

    def _event(self, instance: ExecInstance, action: str, **extra: str) -> None:
        c = instance.container
        self._events.publish(
            "container",
            f"{action}: {' '.join(instance.config['Cmd'])}",
            c.id,
            image=c.image_ref,
            name=c.name,
            execID=instance.id,
            **extra,
        )

    def check_startable(self, instance: ExecInstance) -> None:
        with self._lock:
            _refuse_if_started(instance)

    def start(self, instance: ExecInstance) -> ExecStreams:
        """Start the process; its output pipes are the caller's to drain, then finish() records its exit."""
        with self._lock:
            _refuse_if_started(instance)
            instance.running = True
        c, cfg = instance.container, instance.config
        confinement = self._security.for_exec(
            self._security.confinement(c.host_config), privileged=bool(cfg.get("Privileged"))
        )
        seccomp = Layout(self._config, c.id).seccomp_path if confinement.seccomp else None
        request = {
            "pid": c.state.pid,
            "cgroup_procs": [str(p) for p in cgroup_for(self._config, c.id).procs_files()],
            "args": cfg["Cmd"],
            "env": list(c.config.get("Env") or []) + list(cfg.get("Env") or []),
            "hostname": c.config.get("Hostname") or c.short_id,  # HOSTNAME in the env, as in the container's
            "cwd": cfg.get("WorkingDir") or c.config.get("WorkingDir") or "/",
            "user": cfg.get("User") or c.config.get("User") or "",
            "capabilities": confinement.capabilities,
            "seccomp": str(seccomp) if seccomp else None,  # the container's program, written at its start
            "no_new_privileges": confinement.no_new_privileges,
        }
        stdout, stderr, status_fd = self._shims.start_exec(request)
        status = os.fdopen(status_fd, "rb")
        first = json.loads(status.readline() or b'{"error": "porthole: exec helper died"}')
        if "error" in first:
            instance.exit_code = _exit_code_of(status)
            instance.running = False
            status.close()
            for fd in (stdout, stderr):
                os.close(fd)
            instance.done.set()
            raise InvalidParameter(first["error"])
        instance.pid = first["pid"]
        self._event(instance, "exec_start")
        return ExecStreams(stdout, stderr, status)

    def finish(self, instance: ExecInstance, streams: ExecStreams) -> int:
        """Wait for the process's exit code and record it (before the client hears the stream end)."""
        instance.exit_code = _exit_code_of(streams.status)
        streams.status.close()
        instance.running = False
        instance.done.set()
        self._event(instance, "exec_die", exitCode=str(instance.exit_code))
        return instance.exit_code


def _refuse_unless_running(container: Container) -> None:
    if container.state.status == PAUSED:
        raise Conflict(f"Container {container.id} is paused, unpause the container before exec")
    if container.state.status != RUNNING:
        raise Conflict(f"Container {container.id} is not running")


def _refuse_if_started(instance: ExecInstance) -> None:
    """An exec runs once, and only in a container that runs (it may have stopped since the exec's create)."""
    if instance.running or instance.exit_code is not None:
        raise Conflict(f"Exec command {instance.id} has already run")
    _refuse_unless_running(instance.container)


def _exit_code_of(status) -> int:
    line = status.readline()
    return json.loads(line)["exit_code"] if line else 126
