"""A container's healthcheck prober: a process that enters the container once (cgroup, namespaces, working dir,
user and capabilities, as an exec does) and then, at each tick from the daemon, spawns the probe command, waits
for it (killing it at the timeout) and writes the result back.

Why a process that stays, rather than an exec per probe: an exec costs ~12 ms of CPU (two forks of the zygote,
the namespace entry and the Python that runs in the fresh children, each page it touches copied), so a probe
every second on 100 containers would take more than a core. Here a probe is one posix_spawn (vfork: no page is
copied) from a process already inside, and a few lines of Python that the prober's loop has long quickened.

Protocol: the daemon writes one byte on the tick pipe per probe, and closes it to end the prober; the prober
answers each with one JSON line on the result pipe: {"start_ns", "end_ns", "exit_code", "output", "timed_out"}
(exit_code -1 and the reason as output when the command could not be started).
"""

import os
import select
import signal
import time

import orjson

from runtime.shim.nsexec import enter_container
from runtime.shim.process import (
    DEFAULT_PATH,
    ExecError,
    ProcessConfinement,
    confine,
    environment,
    find_executable,
    read_program,
    resolve_user,
    with_groups,
)
from runtime.shim.shim import join_cgroup

MAX_OUTPUT = 4096  # moby's maxOutputLen: the first 4 KiB of a probe's output are kept
# Every signal a probe starts with at its default action (the prober's own dispositions are Python's).
DEFAULT_SIGNALS = frozenset(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}


def run_prober(request: dict, tick_fd: int, result_fd: int) -> None:
    """`request` is an exec request (runtime.engine.execs.exec_request) with the probe's `timeout`."""
    confinement = ProcessConfinement(  # its seccomp program is read from the host, before entering
        request["capabilities"], read_program(request["seccomp"]), request["no_new_privileges"]
    )
    join_cgroup(request["cgroup_procs"])
    enter_container(request["pid"])
    user = with_groups(resolve_user(request["user"]), request["group_add"])
    env = dict(item.partition("=")[::2] for item in environment(request["env"], user, request["hostname"]))
    os.chdir(request["cwd"] or "/")
    confine(user, confinement)  # its own: every probe it spawns inherits it
    for fd in (tick_fd, result_fd):
        os.set_inheritable(fd, False)  # fds passed over a socket come without close-on-exec
    null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)  # the container's
    args, timeout = request["args"], request["timeout"]
    paths: dict[str, str] = {}
    while os.read(tick_fd, 1):
        os.write(result_fd, orjson.dumps(_probe(args, env, null, timeout, paths)) + b"\n")


def warm_up_probe() -> None:
    """One probe of the host's `true`, for the zygote's warm-up: a prober's loop then runs bytecode already
    quickened, instead of copying the pages that quickening writes (see runtime.shim.zygote)."""
    null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _probe(["true"], {"PATH": DEFAULT_PATH}, null, 5.0, {})
    finally:
        os.close(null)


def _probe(args: list[str], env: dict[str, str], null: int, timeout: float, paths: dict[str, str]) -> dict:
    """One run of the probe; `paths` remembers where its executable was found (looked up again if it goes)."""
    start_ns = time.time_ns()
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    try:
        pid = _spawn(args, env, [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                                 (os.POSIX_SPAWN_DUP2, out_w, 2)], paths)  # fmt: skip
    except (ExecError, OSError) as e:
        os.close(out_r)
        return _result(start_ns, -1, str(e) if isinstance(e, ExecError) else f"exec: {e.strerror}", False)
    finally:
        os.close(out_w)
    output, ended = _read(out_r, time.monotonic() + timeout)
    os.close(out_r)
    reaped, status = (0, 0) if ended else os.waitpid(pid, os.WNOHANG)  # at the deadline: still running?
    timed_out = not ended and reaped == 0
    if timed_out:
        os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still the probe's
    if reaped == 0:
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return _result(start_ns, code if code >= 0 else 128 - code, output.decode(errors="replace"), timed_out)


def _spawn(args: list[str], env: dict[str, str], file_actions: list, paths: dict[str, str]) -> int:
    for attempt in (1, 2):
        if args[0] not in paths:
            paths[args[0]] = find_executable(args[0], env)
        try:
            return os.posix_spawn(
                paths[args[0]], args, env, file_actions=file_actions, setsid=True, setsigmask=(),
                setsigdef=DEFAULT_SIGNALS,
            )  # fmt: skip
        except FileNotFoundError:
            del paths[args[0]]  # moved since it was found
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _read(out_r: int, deadline: float) -> tuple[bytes, bool]:
    """The output until the probe's pipe closes (True: the probe and what it started are done) or the deadline."""
    output = b""
    while (remaining := deadline - time.monotonic()) > 0 and select.select([out_r], [], [], remaining)[0]:
        data = os.read(out_r, 65536)
        if not data:
            return output, True
        output = (output + data)[:MAX_OUTPUT]
    return output, False


def _result(start_ns: int, exit_code: int, output: str, timed_out: bool) -> dict:
    return {"start_ns": start_ns, "end_ns": time.time_ns(), "exit_code": exit_code, "output": output,
            "timed_out": timed_out}  # fmt: skip
