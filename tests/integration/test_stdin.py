"""Attached stdin (`run -i`), with the docker CLI, docker-py and the porthole CLI: what the client sends reaches
the container, the end of it is the container's EOF (StdinOnce), a container that stops reading early does not
cost the client its output or status, and `-d -i` keeps stdin open for a later attach."""

import signal
import socket

import pytest
from docker.utils.socket import frames_iter

from tests.support.cli import porthole

pytestmark = pytest.mark.root

TWO_LINES = b"hello\nworld\n"


def test_docker_run_i_passes_stdin_and_its_end(ph):
    result = ph.docker("run", "-i", "--rm", "busybox", "cat", input=TWO_LINES)
    assert (result.returncode, result.stdout, result.stderr) == (0, TWO_LINES, b"")


def test_the_container_reads_what_it_wants_and_its_status_comes_back(ph):
    script = 'read a; read b; echo "$b $a"; exit 3'
    result = ph.docker("run", "-i", "--rm", "busybox", "sh", "-c", script, input=b"x\ny\n")
    assert (result.returncode, result.stdout) == (3, b"y x\n")


def test_a_megabyte_goes_through_whole(ph):
    data = b"".join(b"%07d\n" % i for i in range(131_072))  # text: output comes back through the json-file log
    result = ph.docker("run", "-i", "--rm", "busybox", "cat", input=data, timeout=120)
    assert result.returncode == 0 and result.stdout == data


def test_a_container_that_stops_reading_early_keeps_its_output_and_status(ph):
    # Megabytes more than the pipes hold: the client is still sending when `head` exits.
    result = ph.docker("run", "-i", "--rm", "busybox", "head", "-n", "2", input=b"y\n" * 2_000_000)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"y\ny\n", b"")


def test_without_i_stdin_is_not_the_clients(ph):
    result = ph.docker("run", "--rm", "busybox", "cat", input=TWO_LINES)
    assert (result.returncode, result.stdout) == (0, b"")


def test_detached_i_keeps_stdin_open_for_a_later_attach(ph):
    cid = ph.docker("run", "-d", "-i", "busybox", "sh", "-c", "read x; echo got $x", check=True).stdout.strip()
    assert ph.docker("inspect", "-f", "{{.Config.OpenStdin}} {{.Config.StdinOnce}}", cid).stdout == b"true false\n"
    attached = ph.docker("attach", cid.decode(), input=b"hi\n")
    assert (attached.returncode, attached.stdout) == (0, b"got hi\n")


def test_docker_py_attach_socket_with_stdin(client):
    container = client.containers.create("busybox", ["sh", "-c", "tr a-z A-Z"], stdin_open=True)  # and StdinOnce
    sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    raw = getattr(sock, "_sock", sock)
    try:
        container.start()
        raw.sendall(b"from docker-py\n")
        raw.shutdown(socket.SHUT_WR)
        frames = list(frames_iter(sock, tty=False))
    finally:
        sock.close()
    assert frames == [(1, b"FROM DOCKER-PY\n")]
    assert container.wait(timeout=30)["StatusCode"] == 0


def test_porthole_run_i(ph):
    counted = porthole(ph, "run", "-i", "--rm", "busybox", "wc", "-l", input=b"a\nb\nc\n")
    assert (counted.returncode, counted.stdout.strip()) == (0, "3")
    early = porthole(ph, "run", "-i", "--rm", "busybox", "head", "-n", "1", input=b"y\n" * 2_000_000)
    assert (early.returncode, early.stdout, early.stderr) == (0, "y\n", "")


def test_stdin_stays_open_across_a_daemon_restart(ph):
    cid = ph.docker("run", "-d", "-i", "busybox", "sh", "-c", "read x; echo got $x", check=True).stdout.strip()
    ph.kill(signal.SIGKILL)  # the shim holds the container's stdin pipe, not the daemon
    ph.start()
    attached = ph.docker("attach", cid.decode(), input=b"after the restart\n")
    assert (attached.returncode, attached.stdout) == (0, b"got after the restart\n")
