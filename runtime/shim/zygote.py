"""The shim zygote: a single-threaded process, exec'd fresh by the daemon, that imports the shim's code once
and forks a shim (or an exec helper) per request.

Why: a shim must not be a fork of the threaded daemon (setns and unshare misbehave there), and a fresh Python per
container would cost its start-up time and its own memory. Children of the zygote share its pages
copy-on-write; gc.freeze() keeps the collector from touching (and so copying) the inherited objects.

Protocol: the daemon holds the other end of a SOCK_SEQPACKET socket on our stdin. Each message is one JSON
request with file descriptors attached (SCM_RIGHTS):
  {"op": "shim", "spec": PATH, "terminal": BOOL}   fds: [status, network gate]
  {"op": "exec", ...exec request...}           fds: [status, stdout, stderr(, stdin)]; none but status with a tty
  {"op": "probe", ...exec request, timeout}    fds: [tick, result] (runtime.shim.prober)
Children are double-forked into their own session, so they outlive the zygote and the daemon. The zygote exits
when the daemon's end closes.
"""

import gc
import json
import os
import signal
import socket
import sys
import tempfile
import traceback

from runtime.linux.syscalls import lean_fork
from runtime.shim.nsexec import run_exec
from runtime.shim.prober import run_prober, warm_up_probe
from runtime.shim.shim import copy_output, copy_terminal, run_shim
from runtime.shim.terminal import console_channel, receive_master, send_master

MAX_REQUEST = 1 << 20
QUICKEN_RUNS = 16  # warm-up runs of the shim's path: CPython 3.11 quickens a function at its 8th call


def _detach(log_path: str | None) -> None:
    os.setsid()
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if log_path else null
    os.dup2(log, 2)
    for fd in {null, log}:
        os.close(fd)


def _serve(request: dict, fds: list[int]) -> None:
    if request["op"] == "shim":
        spec = request["spec"]
        _detach(os.path.join(os.path.dirname(spec), "shim.log"))
        run_shim(spec, *fds, terminal=request["terminal"])
    elif request["op"] == "probe":
        _detach(None)
        run_prober(request, *fds)
    else:
        _detach(None)
        run_exec(request, *fds)


def _spawn(request: dict, fds: list[int]) -> None:
    child = lean_fork()
    if child == 0:
        if lean_fork() == 0:
            code = 0
            try:
                _serve(request, fds)
            except BaseException:  # noqa: BLE001 - a detached child has only its log to tell
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os._exit(0)
    os.waitpid(child, 0)
    for fd in fds:
        os.close(fd)


def _warm_up() -> None:
    """Run the shim's steady-state path here, as a new container's shim runs it (a new log file, a line and a
    partial one): the caches the first run fills (re, codecs, logging) are then shared by every shim instead of
    being built, and paid for, in each. And run it QUICKEN_RUNS times: CPython 3.11 rewrites a function's
    bytecode in place at its 8th call and specializes it over the next ones, and a shim that did that itself
    would copy every page those writes touch (~100 KiB per shim, bench_memory.py)."""
    with tempfile.TemporaryDirectory(prefix="porthole-zygote-") as scratch:
        for run in range(QUICKEN_RUNS):
            writer_plan = {"driver": "json-file", "json_file": {"log_path": f"{scratch}/{run}-json.log", "attrs": {}}}
            out_r, out_w = os.pipe2(os.O_CLOEXEC)
            err_r, err_w = os.pipe2(os.O_CLOEXEC)
            os.write(out_w, b"warm\nup\n")
            os.write(err_w, b"partial line")
            os.close(out_w)
            os.close(err_w)
            copy_output(writer_plan, out_r, err_r)
            os.close(out_r)
            os.close(err_r)
            _warm_up_terminal(f"{scratch}/{run}-tty-json.log")
            warm_up_probe()


def _warm_up_terminal(log_path: str) -> None:
    """A terminal shim's own path: its master received over a socket, a prompt flushed before its newline (at
    once here: a pipe stands in for the master, and a flush delay of 0)."""
    receiver, sender = console_channel()
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    send_master(sender, out_r)
    master = receive_master(receiver)
    os.close(receiver)
    os.close(sender)
    os.write(out_w, b"line\r\nprompt> ")
    os.close(out_w)
    copy_terminal({"driver": "json-file", "json_file": {"log_path": log_path, "attrs": {}}}, master, flush_after=0.0)


def main() -> None:
    # Shims and exec helpers want SIGPIPE's default action. Set here once rather than in each child: the signal
    # module's enum conversions would run there, and every page a child touches is a page it copies.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    channel = socket.socket(fileno=0)
    _warm_up()
    gc.collect()
    gc.freeze()
    while True:
        message, fds, _, _ = socket.recv_fds(channel, MAX_REQUEST, 8)
        if not message:
            return
        _spawn(json.loads(message), fds)


if __name__ == "__main__":
    sys.exit(main())
