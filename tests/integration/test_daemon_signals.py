"""The daemon stops promptly on SIGTERM whichever of its threads the kernel hands the signal to.

Any thread may take a process-directed signal; tgkill(2) hands it to a chosen one, so each of the daemon's
threads is tried in turn while the daemon is busy (a container logging, clients asking). Before the fix a
SIGTERM taken by any thread but the main one was never acted on."""

import ctypes
import os
import signal
import threading
import time

import docker
import pytest
import requests

from tests.support.daemon import TestDaemon, running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

SYS_TGKILL = 234  # x86_64
STOP_WITHIN_SECONDS = 10.0

_libc = ctypes.CDLL(None, use_errno=True)


def tgkill(tgid: int, tid: int, signum: int) -> None:
    if _libc.syscall(SYS_TGKILL, tgid, tid, signum) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def other_threads(pid: int) -> list[int]:
    return sorted(int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    with running(TestDaemon(tmp_path_factory.mktemp("porthole")), busybox_rootfs) as d:
        yield d


def test_sigterm_to_any_thread_stops_the_busy_daemon(daemon):
    if os.uname().machine != "x86_64":
        pytest.skip("tgkill's syscall number is x86_64's")
    client = daemon.client()
    client.containers.run("busybox", ["sh", "-c", "while true; do echo busy; done"], detach=True, name="busy")
    stop_asking = threading.Event()

    def ask() -> None:  # clients keep the API threads busy while the signal comes
        asking = daemon.client()
        while not stop_asking.is_set():
            try:
                asking.containers.list()
            except (docker.errors.DockerException, requests.RequestException):
                time.sleep(0.05)  # the daemon stopped mid-answer, or is starting again
        asking.close()

    askers = [threading.Thread(target=ask) for _ in range(2)]
    for asker in askers:
        asker.start()
    try:
        tried = 0
        while True:
            pid = daemon.process.pid
            threads = other_threads(pid)
            if tried >= len(threads):
                break
            tid = threads[tried]
            tgkill(pid, tid, signal.SIGTERM)
            started = time.monotonic()
            try:
                daemon.process.wait(timeout=STOP_WITHIN_SECONDS)
            except Exception:
                daemon.kill(signal.SIGKILL)
                raise AssertionError(f"a SIGTERM taken by thread {tid} did not stop the daemon") from None
            assert daemon.process.returncode == 0, daemon.log_tail()
            assert time.monotonic() - started < STOP_WITHIN_SECONDS
            daemon.process = None
            tried += 1
            daemon.start()
            wait_for(lambda: client.containers.get("busy").status == "running", what="busy adopted again")
        assert tried >= 3, "the daemon should run several threads"
    finally:
        stop_asking.set()
        for asker in askers:
            asker.join(timeout=30)
        client.close()
