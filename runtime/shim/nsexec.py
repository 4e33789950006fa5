"""`docker exec`: a process started inside a running container's namespaces and cgroup.

Forked from the zygote (setns into a mount namespace fails in a threaded process, and the daemon is threaded).
It reports on the daemon's status socket (SOCK_SEQPACKET, one JSON message each) the process's host pid or the
error, then its exit code; with a timeout (a healthcheck's probe) it kills a process that runs past it. The
process's stdio is what the daemon sent: pipes for stdout and stderr, and for stdin one more pipe (-i) or the
container's /dev/null; or, with a terminal (-t), a terminal made in the container's devpts whose master goes to
the daemon with the pid message.
"""

import json
import os
import select
import signal
import socket

from runtime.linux.constants import CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS
from runtime.linux.syscalls import setns
from runtime.shim.init import give_terminal, report_and_exit
from runtime.shim.process import (
    ExecError,
    ProcessConfinement,
    confine,
    environment,
    execute,
    read_program,
    resolve_user,
    with_groups,
)
from runtime.shim.shim import join_cgroup
from runtime.shim.terminal import open_terminal, take_as_stdio

# The network namespace first: the host's user namespace owns it, even a remapped container's, and joining it
# takes privileges there; then the container's user namespace, if it has one, which owns the rest. Mount
# namespace last: after it, /proc/<pid> of the host is out of sight.
_NAMESPACES = (
    ("net", CLONE_NEWNET),
    ("user", CLONE_NEWUSER),
    ("ipc", CLONE_NEWIPC),
    ("uts", CLONE_NEWUTS),
    ("pid", CLONE_NEWPID),
    ("mnt", CLONE_NEWNS),
)


def _status(channel: socket.socket, message: dict, fds: tuple[int, ...] = ()) -> None:
    socket.send_fds(channel, [json.dumps(message).encode()], list(fds))


def enter_container(pid: int) -> None:
    """setns into the namespaces of the container whose init is `pid` (this process; children get its pid ns)."""
    fds = [(os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC), flag) for name, flag in _NAMESPACES]
    for fd, flag in fds:
        if flag != CLONE_NEWUSER:
            setns(fd, flag)
        elif not _same_namespace(fd, "/proc/self/ns/user"):  # remapped (joining one's own is refused)
            setns(fd, flag)
            os.setresgid(0, 0, 0)  # its root, until the process's user is set
            os.setresuid(0, 0, 0)
        os.close(fd)


def _same_namespace(fd: int, path: str) -> bool:
    mine, theirs = os.stat(path), os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def _take_pipes(stdio: tuple[int, ...]) -> None:
    """stdout, stderr and, if the daemon sent one, the stdin pipe; else the container's /dev/null as stdin."""
    stdout_w, stderr_w, *stdin = stdio
    os.dup2(stdout_w, 1)
    os.dup2(stderr_w, 2)
    os.dup2(stdin[0] if stdin else os.open("/dev/null", os.O_RDONLY), 0)


def _chdir(cwd: str) -> None:
    """runc's words (libcontainer's finalizeNamespace), with Go's lower-case errno text."""
    try:
        os.chdir(cwd)
    except OSError as e:
        raise ExecError(f"chdir to cwd ({json.dumps(cwd)}) set in config.json failed: {e.strerror.lower()}") from None


def _child(
    request: dict, confinement: ProcessConfinement, stdio: tuple[int, ...], slave: int | None, error_w: int
) -> None:
    try:
        os.setsid()
        if slave is None:
            _take_pipes(stdio)
        else:
            take_as_stdio(slave)
        user = with_groups(resolve_user(request["user"]), request["group_add"])
        if slave is not None:
            give_terminal(user.uid)
        confine(user, confinement)
        _chdir(request["cwd"] or "/")
        execute(request["args"], environment(request["env"], user, request["hostname"], slave is not None), error_w)
    except ExecError as e:
        report_and_exit(error_w, str(e))
    except OSError as e:
        report_and_exit(error_w, f"porthole: exec: {e.filename or ''}: {e.strerror}")


def run_exec(request: dict, status_fd: int, *stdio: int) -> None:
    """`stdio`: stdout and stderr pipes, then stdin's if the exec attaches it; none with a terminal."""
    channel = socket.socket(fileno=status_fd)
    error_r, error_w = os.pipe2(os.O_CLOEXEC)
    try:
        confinement = ProcessConfinement(  # its seccomp program is read from the host, before entering
            request["capabilities"], read_program(request["seccomp"]), request["no_new_privileges"]
        )
        join_cgroup(request["cgroup_procs"])
        enter_container(request["pid"])
        master, slave = open_terminal(request["console_size"]) if request["tty"] else (None, None)
    except OSError as e:
        _status(channel, {"error": f"porthole: exec: cannot enter container: {e}"})
        return
    child = os.fork()
    if child == 0:
        _child(request, confinement, stdio, slave, error_w)
    # Taken before any wait: until it is reaped, the child's pid cannot name another process.
    pidfd = os.pidfd_open(child)
    for fd in (*stdio, error_w, *((slave,) if slave is not None else ())):
        os.close(fd)
    chunks = []
    while chunk := os.read(error_r, 4096):
        chunks.append(chunk)
    error = b"".join(chunks).decode(errors="replace")
    if error:
        _status(channel, {"error": error})
    else:
        _status(channel, {"pid": child}, (master,) if master is not None else ())
    if master is not None:
        os.close(master)
    timed_out = _killed_at_timeout(pidfd, request.get("timeout"))
    os.close(pidfd)
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    _status(channel, {"exit_code": code if code >= 0 else 128 - code, "timed_out": timed_out})
    channel.close()


def _killed_at_timeout(pidfd: int, timeout: float | None) -> bool:
    """With a timeout (a healthcheck's probe), SIGKILL a process still running after it; True if so."""
    if timeout is None or select.select([pidfd], [], [], timeout)[0]:
        return False
    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    return True
