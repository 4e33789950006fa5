"""Daemon starts without the interpreter's start-up: a fork server (run as `python -m tests.support.warmstart LOG
daemon ARGS...`) pays the imports of `porthole daemon` once, then forks a new daemon process for each line it
reads on stdin and answers its pid. A crash test restarts its daemon hundreds of times; on a loaded machine the
imports were most of each start's cost, in CPU more than in wall time, so running them ahead on a process of
their own saved nothing. Each daemon is still a new process, in a session of its own, logging to LOG, with the
crash points installed (they are installed at the server's start-up, armed only in a daemon that reaches one).

The server ignores SIGCHLD, so the kernel reaps its daemons; the test follows each one through a pidfd
(tests/support/forked.py)."""

import os
import signal
import sys
import traceback

import porthole.serve.daemon  # noqa: F401 -- the imports every start would pay
from porthole.cli.main import main


def _serve(log: str, argv: list[str]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            os.setsid()
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the requests' pipe is the server's alone
            out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.dup2(out, 1)
            os.dup2(out, 2)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os._exit(_daemon(argv))  # never back into the server's loop
        print(pid, flush=True)


def _daemon(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # a refused flag, a socket taken: said on stderr as the interpreter would
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001 - a daemon's crash, in its log
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2:])
