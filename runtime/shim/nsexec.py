"""`docker exec`: a process started inside a running container's namespaces and cgroup.

Forked from the zygote (setns into a mount namespace fails in a threaded process, and the daemon is threaded).
It reports on the daemon's status pipe one JSON line with the process's host pid (or the error), then one with
its exit code.
"""

import json
import os

from runtime.linux.constants import CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS
from runtime.linux.syscalls import setns
from runtime.shim.init import report_and_exit
from runtime.shim.process import (
    ExecError,
    ProcessConfinement,
    confine,
    environment,
    execute,
    read_program,
    resolve_user,
)
from runtime.shim.shim import join_cgroup

# Mount namespace last: after it, /proc/<pid> of the host is out of sight.
_NAMESPACES = (
    ("ipc", CLONE_NEWIPC),
    ("uts", CLONE_NEWUTS),
    ("net", CLONE_NEWNET),
    ("pid", CLONE_NEWPID),
    ("mnt", CLONE_NEWNS),
)


def _status(fd: int, message: dict) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


def _enter(pid: int) -> None:
    fds = [(os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC), flag) for name, flag in _NAMESPACES]
    for fd, flag in fds:
        setns(fd, flag)
        os.close(fd)


def _child(request: dict, confinement: ProcessConfinement, stdout_w: int, stderr_w: int, error_w: int) -> None:
    try:
        os.setsid()
        os.dup2(stdout_w, 1)
        os.dup2(stderr_w, 2)
        os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
        user = resolve_user(request["user"])
        confine(user, confinement)
        os.chdir(request["cwd"] or "/")
        execute(request["args"], environment(request["env"], user, request["hostname"]), error_w)
    except ExecError as e:
        report_and_exit(error_w, str(e))
    except OSError as e:
        report_and_exit(error_w, f"porthole: exec: {e.filename or ''}: {e.strerror}")


def run_exec(request: dict, stdout_w: int, stderr_w: int, status_fd: int) -> None:
    error_r, error_w = os.pipe2(os.O_CLOEXEC)
    try:
        confinement = ProcessConfinement(
            request["capabilities"], read_program(request["seccomp"]), request["no_new_privileges"]
        )
        join_cgroup(request["cgroup_procs"])
        _enter(request["pid"])
    except OSError as e:
        _status(status_fd, {"error": f"porthole: exec: cannot enter container: {e}"})
        return
    child = os.fork()
    if child == 0:
        _child(request, confinement, stdout_w, stderr_w, error_w)
    for fd in (stdout_w, stderr_w, error_w):
        os.close(fd)
    chunks = []
    while chunk := os.read(error_r, 4096):
        chunks.append(chunk)
    error = b"".join(chunks).decode(errors="replace")
    _status(status_fd, {"error": error} if error else {"pid": child})
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    _status(status_fd, {"exit_code": code if code >= 0 else 128 - code})
    os.close(status_fd)
