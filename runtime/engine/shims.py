"""The daemon's side of the shim zygote: start a container's shim, or an exec helper, and hear back."""

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import HostError
from runtime.shim.spec import NETWORK_READY


def _open_gate(gate_w: int) -> None:
    try:
        os.write(gate_w, NETWORK_READY)
    except BrokenPipeError:
        return  # the init gave up before it reached the gate: its shim's status says why
    finally:
        os.close(gate_w)


@dataclass
class ExecChannels:
    """The daemon's ends of an exec helper's channels: its status socket and the process's pipes, if any."""

    status: socket.socket
    stdout: int | None = None
    stderr: int | None = None
    stdin: int | None = None  # the write end

    def close(self) -> None:
        for fd in (self.stdout, self.stderr, self.stdin):
            if fd is not None:
                os.close(fd)
        self.status.close()


class StartFailed(Exception):
    """The container's process could not be started; the message is the runtime's own reason."""


@dataclass(frozen=True)
class ShimStarted:
    pid: int  # the container's PID 1, as the host sees it
    starttime: int  # of that pid, against pid reuse
    shim_pid: int


class ShimLauncher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channel, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._zygote = subprocess.Popen(
            [sys.executable, "-I", "-m", "runtime.shim.zygote"], stdin=child_end, close_fds=True
        )
        child_end.close()

    def _send(self, request: dict, fds: list[int]) -> None:
        with self._lock:
            if self._zygote.poll() is not None:
                raise HostError(f"porthole: shim zygote exited with status {self._zygote.returncode}")
            socket.send_fds(self._channel, [json.dumps(request).encode()], fds)

    def start_container(self, spec_path: Path, terminal: bool, make_network: Callable[[], None]) -> ShimStarted:
        """Starts the container's shim and, meanwhile, calls make_network(): the container's init joins its
        cgroup, then waits at the network gate until make_network() has returned. If it raises, the gate
        closes unopened, the init gives up, and the error is raised here once the shim has reported.
        `terminal` (the spec's) tells the shim, which reads no spec, to expect a terminal's master."""
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        gate_r, gate_w = os.pipe2(os.O_CLOEXEC)
        try:
            self._send({"op": "shim", "spec": str(spec_path), "terminal": terminal}, [status_w, gate_r])
        except BaseException:
            for fd in (status_r, gate_w):
                os.close(fd)
            raise
        finally:
            for fd in (status_w, gate_r):
                os.close(fd)
        with os.fdopen(status_r, "rb") as status:
            try:
                make_network()
            except BaseException:
                os.close(gate_w)
                status.readline()  # the init has given up and left the cgroup: it may be removed
                raise
            _open_gate(gate_w)
            line = status.readline()
        if not line:
            raise StartFailed(f"porthole: shim for {spec_path.parent.name} died before starting the container")
        reply = json.loads(line)
        if "error" in reply:
            raise StartFailed(reply["error"])
        return ShimStarted(reply["pid"], reply["starttime"], reply["shim_pid"])

    def start_exec(self, request: dict) -> "ExecChannels":
        """Starts an exec helper. With request["tty"] the process's stdio is a terminal whose master comes with
        the helper's first status message; else stdout and stderr are pipes, and stdin one more with
        request["stdin"]."""
        status, helper_status = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        channels = ExecChannels(status)
        theirs: list[int] = []
        if not request["tty"]:
            (channels.stdout, out_w), (channels.stderr, err_w) = os.pipe2(os.O_CLOEXEC), os.pipe2(os.O_CLOEXEC)
            theirs += [out_w, err_w]
            if request["stdin"]:
                in_r, channels.stdin = os.pipe2(os.O_CLOEXEC)
                theirs.append(in_r)
        try:
            self._send({"op": "exec", **request}, [helper_status.fileno(), *theirs])
        except BaseException:
            channels.close()
            raise
        finally:
            helper_status.close()
            for fd in theirs:
                os.close(fd)
        return channels

    def start_prober(self, request: dict) -> tuple[int, int]:
        """Starts a container's healthcheck prober (runtime.shim.prober); returns the write end of its tick pipe
        (closing it ends the prober) and the read end of its result pipe."""
        tick_r, tick_w = os.pipe2(os.O_CLOEXEC)
        result_r, result_w = os.pipe2(os.O_CLOEXEC)
        try:
            self._send({"op": "probe", **request}, [tick_r, result_w])
        except BaseException:
            for fd in (tick_w, result_r):
                os.close(fd)
            raise
        finally:
            for fd in (tick_r, result_w):
                os.close(fd)
        return tick_w, result_r

    def close(self) -> None:
        self._channel.close()
        self._zygote.wait(timeout=10)
