"""The per-container supervisor (DESIGN.md, process model).

Forked from the zygote, detached from the daemon. It starts the container (stage A joins the cgroup and the
network namespace and unshares the rest; its child B becomes the container's PID 1), reports the pid or the
failure on the daemon's status pipe, copies the container's output into the log driver, then records the exit
status in `exit.json` beside the spec. As a subreaper it stays B's parent when A exits, so it can reap it; and
as a process of its own it outlives the daemon: the daemon re-attaches from the state files.
"""

import json
import os
import time
from pathlib import Path

from logdrivers.registry import builtin_registry

from logdrivers.copier import Copier
from logdrivers.info import ContainerInfo
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
from runtime.linux.syscalls import prctl, setns, unshare
from runtime.shim.init import EXIT_RUNTIME_ERROR, run_container_init
from runtime.shim.spec import ContainerSpec

EXIT_FILE = "exit.json"  # beside the spec; the daemon reads it when the shim is gone


def join_cgroup(procs_files: list[str]) -> None:
    pid = str(os.getpid())
    for path in procs_files:
        with open(path, "w") as f:
            f.write(pid)


def _stage_a(spec: ContainerSpec, stdout_w: int, stderr_w: int, error_w: int, sync_w: int) -> None:
    """Joins the cgroup and netns, unshares the rest, forks the container's PID 1 and tells the shim its pid."""
    try:
        join_cgroup(spec.cgroup_procs)
        flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID
        if spec.cgroup_namespace:
            flags |= CLONE_NEWCGROUP
        if spec.netns == "":
            flags |= CLONE_NEWNET
        elif spec.netns:
            fd = os.open(spec.netns, os.O_RDONLY | os.O_CLOEXEC)
            setns(fd, CLONE_NEWNET)
            os.close(fd)
        unshare(flags)
        pid = os.fork()
        if pid == 0:
            run_container_init(spec, stdout_w, stderr_w, error_w)
        os.write(sync_w, str(pid).encode())
        os._exit(0)
    except BaseException as e:  # noqa: BLE001 - stage A reports every failure on the error pipe
        os.write(error_w, f"porthole: container setup: {e}".encode(errors="replace"))
        os._exit(EXIT_RUNTIME_ERROR)


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


def run_shim(spec_path: Path, status_fd: int) -> None:
    spec = ContainerSpec.read(spec_path)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    stdout_r, stdout_w = os.pipe2(os.O_CLOEXEC)
    stderr_r, stderr_w = os.pipe2(os.O_CLOEXEC)
    error_r, error_w = os.pipe2(os.O_CLOEXEC)
    sync_r, sync_w = os.pipe2(os.O_CLOEXEC)
    stage_a = os.fork()
    if stage_a == 0:
        _stage_a(spec, stdout_w, stderr_w, error_w, sync_w)
    for fd in (stdout_w, stderr_w, error_w, sync_w):
        os.close(fd)
    os.waitpid(stage_a, 0)
    pid_text = _read_all(sync_r)
    error = _read_all(error_r)  # EOF once B has exec'd (close-on-exec) or died
    if error or not pid_text:
        message = error.decode(errors="replace") or "porthole: container setup failed"
        if pid_text:
            _wait_for(int(pid_text))
        _report(status_fd, {"error": message})
        return
    pid = int(pid_text)
    _report(status_fd, {"pid": pid, "starttime": process_starttime(pid), "shim_pid": os.getpid()})
    _copy_output(spec, stdout_r, stderr_r)
    exit_code = _wait_for(pid)
    write_json_atomic(spec_path.parent / EXIT_FILE, {"exit_code": exit_code, "finished_at_ns": time.time_ns()})


def _report(status_fd: int, message: dict) -> None:
    os.write(status_fd, json.dumps(message).encode() + b"\n")
    os.close(status_fd)


def _copy_output(spec: ContainerSpec, stdout_r: int, stderr_r: int) -> None:
    raw = spec.logging.info
    info = ContainerInfo(**{**raw, "args": tuple(raw["args"]), "env": tuple(raw["env"]),
                            "log_path": Path(raw["log_path"])})
    driver = builtin_registry().create(spec.logging.driver, spec.logging.options, info)
    Copier({"stdout": stdout_r, "stderr": stderr_r}, driver).run()
