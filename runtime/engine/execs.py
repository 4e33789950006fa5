"""`docker exec`: exec instances of running containers, started through the shim zygote, with pipes or a
terminal (-t) whose master the daemon holds (an exec's streams end with the daemon, as in Docker)."""

import json
import secrets
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, NoReturn

from runtime.engine.config import DaemonConfig
from runtime.engine.detachkeys import parse_detach_keys
from runtime.engine.events import EventBus
from runtime.engine.launch import Layout, cgroup_for
from runtime.engine.model import PAUSED, RUNNING, Container
from runtime.engine.shims import ExecChannels, ShimLauncher
from runtime.engine.terminals import HeldTerminal
from runtime.errors import Conflict, InvalidParameter, NotFound
from runtime.security import SecurityPolicy
from runtime.shim.init import EXIT_CANNOT_INVOKE

RESIZE_WAIT_S = 10.0  # moby waits this long for an exec to start before a resize gives up


@dataclass
class ExecInstance:
    id: str
    container: Container
    config: dict[str, Any]
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)  # running, or failed to start
    terminal: HeldTerminal | None = None  # with Tty, while it runs

    @property
    def tty(self) -> bool:
        return bool(self.config.get("Tty"))

    @property
    def detach_keys(self) -> bytes:
        return parse_detach_keys(self.config.get("DetachKeys") or "")


@dataclass
class ExecStreams:
    """A started exec's streams, the daemon's ends: the helper's channels (status, and pipes without a
    terminal) and, with one, the terminal's master."""

    channels: ExecChannels
    terminal: HeldTerminal | None = None
    _exit_code: int | None = None

    def exit_code(self) -> int:
        """The process's exit code, waited for: the helper sends it on the status channel once the process has
        exited (read there once, by whoever asks first)."""
        if self._exit_code is None:
            self._exit_code = _exit_code_of(self.channels.status)
        return self._exit_code


class Execs:
    def __init__(self, config: DaemonConfig, shims: ShimLauncher, events: EventBus, security: SecurityPolicy) -> None:
        self._config = config
        self._security = security
        self._shims = shims
        self._events = events
        self._lock = threading.Lock()
        self._instances: dict[str, ExecInstance] = {}

    def create(self, container: Container, body: dict[str, Any], *, ref: str) -> ExecInstance:
        """`ref`: the container as the client named it, which moby's refusal of a paused one repeats."""
        _refuse_unless_running(container, ref)
        cmd = body.get("Cmd")
        if not cmd or not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd):
            raise InvalidParameter("No exec command specified")
        parse_detach_keys(body.get("DetachKeys") or "")  # a 400 now, not at the start
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
        publish_exec_event(self._events, instance.container, instance.id, action, instance.config["Cmd"], **extra)

    def check_startable(self, instance: ExecInstance) -> None:
        with self._lock:
            _refuse_if_started(instance)

    def start(self, instance: ExecInstance, console_size: list[int] | None = None) -> ExecStreams:
        """Start the process; its output is the caller's to drain, then finish() records its exit.
        `console_size` ([rows, columns], the start's ConsoleSize) wins over the create's."""
        with self._lock:
            _refuse_if_started(instance)
            instance.running = True
        cfg = instance.config
        request = exec_request(
            self._config,
            self._security,
            instance.container,
            cfg["Cmd"],
            env=list(cfg.get("Env") or []),
            cwd=cfg.get("WorkingDir") or "",
            user=cfg.get("User") or "",
            privileged=bool(cfg.get("Privileged")),
            tty=instance.tty,
            stdin=bool(cfg.get("AttachStdin")),
            console_size=console_size or cfg.get("ConsoleSize"),
        )
        if not request["cwd"].startswith("/"):  # runc checks the spec before it starts anything
            self._fail_start(instance, _runc_refusal("Cwd must be an absolute path"))
        channels = self._shims.start_exec(request)
        data, fds, _, _ = socket.recv_fds(channels.status, 65536, 1)
        first = json.loads(data or b'{"error": "porthole: exec helper died"}')
        if "error" in first:
            _exit_code_of(channels.status)  # the helper's last word: its child is reaped
            channels.close()
            self._fail_start(instance, _start_failure(first["error"]))
        instance.pid = first["pid"]
        instance.terminal = HeldTerminal(fds[0]) if fds else None
        instance.started.set()
        self._event(instance, "exec_start")
        return ExecStreams(channels, instance.terminal)

    def _fail_start(self, instance: ExecInstance, message: str) -> NoReturn:
        """moby records 126 for any exec that failed to start, whatever the reason (a `run` tells 127 from
        126)."""
        instance.exit_code = EXIT_CANNOT_INVOKE
        instance.running = False
        instance.done.set()
        instance.started.set()
        raise InvalidParameter(message)

    def resize(self, instance: ExecInstance, rows: int, columns: int) -> None:
        """The terminal's size, once the exec runs (the docker CLI resizes right after its start)."""
        if not instance.started.wait(RESIZE_WAIT_S):
            raise Conflict(f"timeout waiting for exec session ready: {instance.id}")
        if instance.terminal is not None:
            instance.terminal.resize(rows, columns)

    def finish(self, instance: ExecInstance, streams: ExecStreams) -> int:
        """Wait for the process's exit code and record it (before the client hears the stream end)."""
        instance.exit_code = streams.exit_code()
        streams.channels.close()
        if streams.terminal is not None:
            streams.terminal.close()
        instance.running = False
        instance.done.set()
        self._event(instance, "exec_die", exitCode=str(instance.exit_code))
        return instance.exit_code


def publish_exec_event(
    events: EventBus, container: Container, exec_id: str, action: str, cmd: list[str], **extra: str
) -> None:
    """moby's exec events (a health probe's too): `exec_create: <cmd>` and `exec_start: <cmd>` name the command,
    `exec_die` does not and says the exitCode; each carries the execID. moby writes the command as its entrypoint,
    a space and the joined args, so a command without args ends in a space (`exec_create: true `)."""
    named = f"{action}: {cmd[0]} {' '.join(cmd[1:])}"
    events.publish_container(container, action if action == "exec_die" else named, execID=exec_id, **extra)


def exec_request(
    config: DaemonConfig,
    security: SecurityPolicy,
    container: Container,
    args: list[str],
    *,
    env: list[str] = (),
    cwd: str = "",
    user: str = "",
    privileged: bool = False,
    tty: bool = False,
    stdin: bool = False,
    console_size: list[int] | None = None,
) -> dict[str, Any]:
    """What the exec helper needs to start `args` in the running `container` (runtime.shim.nsexec); the
    container's env, working dir and user unless the exec names its own, and its confinement (`privileged`: an
    exec's --privileged)."""
    confinement = security.for_exec(security.confinement(container.host_config), privileged=privileged)
    seccomp = Layout(config, container.id).seccomp_path if confinement.seccomp else None
    return {
        "pid": container.state.pid,
        "cgroup_procs": [str(p) for p in cgroup_for(config, container.id).procs_files()],
        "args": args,
        "env": list(container.config.get("Env") or []) + list(env),
        "hostname": container.config.get("Hostname") or container.short_id,  # HOSTNAME, as in the container's
        "cwd": cwd or container.config.get("WorkingDir") or "/",
        "user": user or container.config.get("User") or "",
        "group_add": list(container.host_config.get("GroupAdd") or []),  # as moby's getUser adds them to an exec's
        "capabilities": confinement.capabilities,
        "seccomp": str(seccomp) if seccomp else None,  # the container's program, written at its start
        "no_new_privileges": confinement.no_new_privileges,
        "tty": tty,
        "stdin": stdin,
        "console_size": console_size,
    }


def _start_failure(reason: str) -> str:
    """What the docker CLI prints of an exec that did not start: an unknown user bare, as moby looks the user up
    itself before runc runs; runc's failures to start the process in its frame."""
    if reason.startswith(("unable to find user ", "unable to find group ")):
        return reason
    return _runc_refusal(f"unable to start container process: {reason}")


def _runc_refusal(reason: str) -> str:
    """An exec's failure to start as the docker CLI prints runc's, through containerd."""
    return f"OCI runtime exec failed: exec failed: {reason}: unknown"


def _refuse_unless_running(container: Container, ref: str) -> None:
    if container.state.status == PAUSED:
        raise Conflict(f"Container {ref} is paused, unpause the container before exec")
    if container.state.status != RUNNING:
        raise Conflict(f"Container {container.id} is not running")


def _refuse_if_started(instance: ExecInstance) -> None:
    """An exec runs once, and only in a container that runs (it may have stopped since the exec's create)."""
    if instance.running or instance.exit_code is not None:
        raise Conflict(f"Exec command {instance.id} has already run")
    _refuse_unless_running(instance.container, instance.container.id)


def _exit_code_of(status: socket.socket) -> int:
    message = status.recv(65536)
    return json.loads(message)["exit_code"] if message else 126
