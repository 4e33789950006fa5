"""The per-container supervisor (DESIGN.md, process model).

Forked from the zygote, detached from the daemon. It starts the container (stage A joins the cgroup, waits at the
network gate while the daemon makes the network, joins the network namespace and unshares the rest; its child B
becomes the container's PID 1), reports the pid or the failure on the daemon's status pipe, copies the
container's output into the log writer the daemon planned (logdrivers.shimwriter), then records the exit
status in `exit.json` beside the spec. As a subreaper it stays B's parent when A exits, so it can reap it; and
as a process of its own it outlives the daemon: the daemon re-attaches from the state files.
"""

import os
import time
from pathlib import Path

import orjson

from logdrivers.copier import Copier
from logdrivers.shimwriter import open_writer
from runtime.atomicfile import write_json_atomic
from runtime.linux.constants import (
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUTS,
    PR_SET_CHILD_SUBREAPER,
)
from runtime.linux.proc import process_starttime
from runtime.linux.syscalls import lean_fork, prctl, setns, unshare
from runtime.shim.init import EXIT_RUNTIME_ERROR, run_container_init
from runtime.shim.isolation import apply_process_limits
from runtime.shim.process import ProcessConfinement, read_program
from runtime.shim.rootfs import detach_bind_sources, premount_remapped
from runtime.shim.spec import NETWORK_READY, ContainerSpec
from runtime.shim.stdin import make_fifo, start_forwarding
from runtime.shim.terminal import console_channel, receive_master
from runtime.shim.userns import enter_user_namespace, make_user_namespace

EXIT_FILE = "exit.json"  # beside the spec; the daemon reads it when the shim is gone
TERMINAL_FLUSH_S = 0.005  # unterminated terminal output waits this long for more before it is logged


def join_cgroup(procs_files: list[str]) -> None:
    pid = str(os.getpid())
    for path in procs_files:
        with open(path, "w") as f:
            f.write(pid)


def _stage_a(
    spec: ContainerSpec, stdio: tuple[int, int, int], network_gate: int, error_w: int, sync_w: int, console_w: int
) -> None:
    """Joins the cgroup, waits for the network, joins the netns, unshares the rest, forks the container's
    PID 1 and tells the shim its pid. A remapped container's user namespace is made first, its image and bind
    sources readied with the host's privileges, and entered before the unshare (runtime.shim.userns)."""
    try:
        join_cgroup(spec.cgroup_procs)  # while the daemon makes the network (the join sleeps: RCU)
        # Read here, while the host's files are in reach (a remapped init could not open them).
        confinement = ProcessConfinement(spec.capabilities, read_program(spec.seccomp), spec.no_new_privileges)
        # Inherited by the init; set here, with the host's privileges: a remapped init may not raise a limit
        # or, no longer dumpable, even open its own oom_score_adj.
        apply_process_limits(spec.isolation)
        userns = _user_namespace(spec)
        if os.read(network_gate, len(NETWORK_READY)) != NETWORK_READY:
            raise RuntimeError("the daemon did not set up the container's network")
        bind_sources: list[int] = []
        if userns is not None:
            bind_sources = detach_bind_sources(spec)
            premount_remapped(spec, userns)
        flags = CLONE_NEWNS
        if spec.cgroup_namespace:
            flags |= CLONE_NEWCGROUP
        namespaces = spec.isolation.namespaces
        for mode, flag in ((spec.netns, CLONE_NEWNET), (namespaces.pid, CLONE_NEWPID),
                           (namespaces.ipc, CLONE_NEWIPC), (namespaces.uts, CLONE_NEWUTS)):  # fmt: skip
            flags |= _join_or_new(mode, flag)
        if userns is not None:  # after the joins: the namespaces joined belong to the host's user namespace
            enter_user_namespace(userns)
        unshare(flags)
        pid = os.fork()
        if pid == 0:
            run_container_init(spec, confinement, bind_sources, *stdio, error_w, console_w)
        os.write(sync_w, str(pid).encode())
        os._exit(0)
    except BaseException as e:  # noqa: BLE001 - stage A reports every failure on the error pipe
        os.write(error_w, f"porthole: container setup: {e}".encode(errors="replace"))
        os._exit(EXIT_RUNTIME_ERROR)


def _user_namespace(spec: ContainerSpec) -> int | None:
    """A remapped container's user namespace: that of the container whose pid or ipc namespace it joins, as
    dockerd gives it (a namespace answers to the user namespace that owns it: the init could not mount /proc for
    a pid namespace owned by another), else a new one with the remap's maps."""
    if not spec.id_mapping:
        return None
    namespaces = spec.isolation.namespaces
    for joined in (namespaces.pid, namespaces.ipc):
        if joined not in (None, "", "host"):
            return os.open(os.path.join(os.path.dirname(joined), "user"), os.O_RDONLY | os.O_CLOEXEC)
    return make_user_namespace(spec.id_mapping)


def _join_or_new(mode: str | None, flag: int) -> int:
    """A namespace of the container's: joined now when `mode` is a namespace file (another container's, or
    the network's), the host's when "host" or None, else the flag to unshare. For pid, joining applies to the
    children: the init forked next is in the joined namespace."""
    if mode == "":
        return flag
    if mode not in (None, "host"):
        fd = os.open(mode, os.O_RDONLY | os.O_CLOEXEC)
        try:
            setns(fd, flag)
        finally:
            os.close(fd)
    return 0


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _wait_for(pid: int) -> int:
    """Reap children until `pid` exits (orphans of the container are ours too: we are a subreaper)."""
    while True:
        reaped, status = os.waitpid(-1, 0)
        if reaped == pid:
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 128 - code


def run_shim(spec_path: str, status_fd: int, network_gate: int, terminal: bool = False) -> None:
    """The shim's long life is spent here, in a process that did little else: the launch (spec parsing, the
    namespace stages) runs in a throwaway child, so the pages it touches are never copied into the shim that
    stays for the container's lifetime (each page a forked process writes is memory paid per container). For
    the same reason the shim's own code keeps to plain strings and C-level calls (orjson, not json; str paths,
    not pathlib) wherever the choice is free, and its log writer comes ready from the daemon
    (logdrivers.shimwriter). With `terminal` (-t; the daemon says so, the shim reads no spec) the container's
    init sends the terminal's master on a socket of its own, and the shim keeps it for the container's life."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    stdin_r, stdin_w = os.pipe2(os.O_CLOEXEC)
    stdout_r, stdout_w = os.pipe2(os.O_CLOEXEC)
    stderr_r, stderr_w = os.pipe2(os.O_CLOEXEC)
    result_r, result_w = os.pipe2(os.O_CLOEXEC)
    console_r, console_w = console_channel() if terminal else (-1, -1)
    launcher = lean_fork()
    if launcher == 0:
        os.close(result_r)
        try:
            _launch(spec_path, (stdin_r, stdout_w, stderr_w), network_gate, status_fd, result_w, console_w)
        finally:
            os._exit(0)
    for fd in (stdin_r, stdout_w, stderr_w, network_gate, status_fd, result_w):
        os.close(fd)
    if terminal:
        os.close(console_w)
    os.waitpid(launcher, 0)
    result = orjson.loads(_read_all(result_r) or b'{"error": "launcher died"}')
    master = receive_master(console_r) if terminal and "error" not in result else None
    if terminal:
        os.close(console_r)
    if "error" in result:
        os.close(stdin_w)
        _drain(stdout_r, stderr_r)
        return
    container_stdin = stdin_w
    if master is not None:  # the terminal is the container's stdin and output; the pipes go unused
        os.close(stdin_w)
        _drain(stdout_r, stderr_r)
        container_stdin = os.dup(master)
    if result["stdin"]:
        start_forwarding(result["stdin"], container_stdin, result["stdin_once"])
    else:
        os.close(container_stdin)
    if master is None:
        copy_output(result["log_writer"], stdout_r, stderr_r)
    else:
        copy_terminal(result["log_writer"], master)
    exit_code = _wait_for(result["pid"])
    write_json_atomic(Path(spec_path).parent / EXIT_FILE, {"exit_code": exit_code, "finished_at_ns": time.time_ns()})


def _launch(
    spec_path: str, stdio: tuple[int, int, int], network_gate: int, status_fd: int, result_fd: int, console_w: int
) -> None:
    """Starts the container and tells the daemon (status pipe) and the shim (result pipe) how it went. `stdio`
    holds the container's ends of its stdin, stdout and stderr pipes; the network gate opens (NETWORK_READY)
    once the daemon has made the container's network; `console_w` is where a terminal's master goes (-t)."""
    spec = ContainerSpec.read(Path(spec_path))
    if spec.stdin:
        make_fifo(spec.stdin)  # before the daemon hears "started" and lets an attach open it
    error_r, error_w = os.pipe2(os.O_CLOEXEC)
    sync_r, sync_w = os.pipe2(os.O_CLOEXEC)
    stage_a = os.fork()
    if stage_a == 0:
        _stage_a(spec, stdio, network_gate, error_w, sync_w, console_w)
    for fd in (*stdio, network_gate, error_w, sync_w, *((console_w,) if console_w >= 0 else ())):
        os.close(fd)
    os.waitpid(stage_a, 0)
    pid_text = _read_all(sync_r)
    error = _read_all(error_r)  # EOF once B has exec'd (close-on-exec) or died
    if error or not pid_text:
        message = error.decode(errors="replace") or "porthole: container setup failed"
        _report(status_fd, {"error": message})
        _report(result_fd, {"error": message})
        return
    pid = int(pid_text)
    _report(status_fd, {"pid": pid, "starttime": process_starttime(pid), "shim_pid": os.getppid()})
    _report(result_fd, {"pid": pid, "log_writer": spec.log_writer, "stdin": spec.stdin, "stdin_once": spec.stdin_once})


def _drain(*fds: int) -> None:
    """Read the pipes of a container that never started to EOF (its failed init may still hold them)."""
    for fd in fds:
        _read_all(fd)


def _report(fd: int, message: dict) -> None:
    os.write(fd, orjson.dumps(message) + b"\n")
    os.close(fd)


def copy_output(writer_plan: dict, stdout_r: int, stderr_r: int) -> None:
    streams = {"stdout": stdout_r, "stderr": stderr_r}
    Copier(streams, open_writer(writer_plan), failures_path=writer_plan.get("failures_path")).run()


def copy_terminal(writer_plan: dict, master: int, flush_after: float = TERMINAL_FLUSH_S) -> None:
    """A terminal's output is one stream, stdout, as in Docker. What waits for its newline is logged after
    `flush_after` seconds without more output: attach reads the log, and a prompt must show before its line ends."""
    writer = open_writer(writer_plan)
    failures = writer_plan.get("failures_path")
    Copier({"stdout": master}, writer, flush_partial_after=flush_after, failures_path=failures).run()
    os.close(master)
