"""The container's init, from its new namespaces to execve. Runs in a single-threaded process forked by the shim:
nothing here may import lazily, because after pivot_root the host's Python library is out of reach."""

import os
import socket

from runtime.shim.process import (
    ExecError,
    ProcessConfinement,
    confine,
    environment,
    execute,
    resolve_user,
    with_groups,
)
from runtime.shim.rootfs import prepare_rootfs
from runtime.shim.spec import ContainerSpec
from runtime.shim.terminal import mount_console, open_terminal, send_master, take_as_stdio

# Exit codes for a process that never reached execve, as the docker CLI reads them: 127 not found,
# 126 not executable, 125 anything else the runtime refused.
EXIT_NOT_FOUND = 127
EXIT_CANNOT_INVOKE = 126
EXIT_RUNTIME_ERROR = 125


def exit_code_for(message: str) -> int:
    if "executable file not found" in message or "no such file or directory" in message:
        return EXIT_NOT_FOUND
    if "permission denied" in message or "is a directory" in message:
        return EXIT_CANNOT_INVOKE
    return EXIT_RUNTIME_ERROR


def report_and_exit(error_fd: int, message: str) -> None:
    os.write(error_fd, message.encode(errors="replace"))
    os._exit(exit_code_for(message))


def _take_terminal(spec: ContainerSpec, console_fd: int) -> None:
    """A terminal of the container's devpts as stdio and /dev/console; its master goes to the shim."""
    master, slave = open_terminal(spec.console_size)
    mount_console(slave)
    send_master(console_fd, master)
    take_as_stdio(slave)


def give_terminal(uid: int) -> None:
    """The terminal belongs to the process's user, as runc's fixStdioPermissions does, so that a non-root user
    can reopen /dev/tty (its group, tty, stays)."""
    os.fchown(0, uid, -1)


def run_container_init(
    spec: ContainerSpec,
    confinement: ProcessConfinement,
    bind_sources: list[int],
    stdin_fd: int,
    stdout_fd: int,
    stderr_fd: int,
    error_fd: int,
    console_fd: int,
) -> None:
    """Never returns: execs the container's command, or writes why not to `error_fd` and exits. `stdin_fd` is
    the container's stdin with -i; without, it reads the container's /dev/null. With a terminal (-t) all three
    are the terminal instead, and `console_fd` is the socket its master goes to."""
    try:
        os.setsid()
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        prepare_rootfs(spec, bind_sources)
        if spec.terminal:
            _take_terminal(spec, console_fd)
        else:
            # /dev/null of the container, not the host's: no host file stays open across exec.
            os.dup2(stdin_fd if spec.stdin else os.open("/dev/null", os.O_RDONLY), 0)
        if spec.isolation.namespaces.uts != "host":
            socket.sethostname(spec.hostname)
        user = with_groups(resolve_user(spec.process.user), spec.isolation.group_add)
        if spec.terminal:
            give_terminal(user.uid)
        confine(user, confinement)
        os.chdir(spec.process.cwd)
        execute(spec.process.args, environment(spec.process.env, user, spec.hostname, spec.terminal), error_fd)
    except ExecError as e:
        report_and_exit(error_fd, str(e))
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        report_and_exit(error_fd, f"porthole: container init:{where}: {e.strerror}")
    except BaseException as e:  # noqa: BLE001 - the init must report every failure, never a traceback
        report_and_exit(error_fd, f"porthole: container init: {e!r}")
