"""Terminals (-t): the real docker CLI and the `porthole` CLI under a real pseudo-terminal (run -it, exec -it,
attach, detach keys, resize, exit codes), docker-py on raw streams, and a terminal container across a daemon
restart."""

import re
import signal
import sys
import time

import docker
import pytest

from tests.support.daemon import REPO
from tests.support.terminal import CTRL_P, CTRL_Q, TerminalSession, resize_until_shown, stty_size_once_resized
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

PROMPT = rb"/ # "


# Each client's command line: the docker CLI, and porthole's own terminal client, which must behave alike.
CLIENTS = {"docker": ["docker"], "porthole": [sys.executable, "-m", "porthole.cli.main"]}


@pytest.fixture(params=sorted(CLIENTS))
def cli(request) -> list[str]:
    return CLIENTS[request.param]


def session(cli: list[str], ph, *args: str, rows: int = 24, columns: int = 80) -> TerminalSession:
    """The client against the test daemon under a terminal of its own, once it has put it in raw mode."""
    term = TerminalSession([*cli, "-H", ph.host, *args], rows, columns, cwd=str(REPO))
    wait_for(term.in_raw_mode, 20, what=f"{cli[-1]}'s raw mode")
    return term


def running(ph, name: str) -> bool:
    return ph.docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == b"true"


def test_run_it_is_an_interactive_shell_on_a_terminal_of_the_containers_own(cli, ph):
    with session(cli, ph, "run", "-it", "--rm", "busybox", "sh", rows=30, columns=100) as term:
        term.expect(PROMPT)
        term.type(b"echo $((6 * 7)); tty; stty size\r")
        term.expect(rb"42\r\n/dev/pts/0\r\n30 100\r\n")
        term.expect(PROMPT)
        term.type(b"exit 3\r")
        assert term.wait() == 3
        assert not term.in_raw_mode()  # the terminal is given back as it was


def test_stty_size_follows_the_window(cli, ph):
    with session(cli, ph, "run", "-it", "--rm", "busybox", "sh") as term:
        term.expect(PROMPT)
        # the kernel sends the CLI SIGWINCH; it calls /containers/{id}/resize
        assert resize_until_shown(term, 41, 123) == b"41 123"
        term.type(b"exit\r")
        assert term.wait() == 0


def test_ctrl_p_ctrl_q_detaches_and_attach_comes_back(cli, ph):
    with session(cli, ph, "run", "-it", "--name", "shell", "busybox", "sh") as term:
        term.expect(PROMPT)
        term.type(b"echo before > /tmp/mark\r")
        term.expect(rb"/tmp/mark\r\n" + PROMPT)  # the line ran: the keys after it are read on their own
        term.press(CTRL_P, CTRL_Q)
        assert term.wait() == 0
    assert running(ph, "shell")
    with session(cli, ph, "attach", "shell") as term:
        term.type(b"cat /tmp/mark\r")
        term.expect(rb"before\r\n")
        term.type(b"exit 4\r")
        assert term.wait() == 4
    assert ph.docker("inspect", "-f", "{{.State.ExitCode}}", "shell").stdout.strip() == b"4"


def test_attach_with_other_detach_keys(cli, ph):
    ph.docker("run", "-dit", "--name", "keys", "busybox", "sh", check=True)
    with session(cli, ph, "attach", "--detach-keys", "ctrl-a,x", "keys") as term:
        term.type(b"echo one\r")
        term.expect(rb"one\r\n")
        term.press(CTRL_P, CTRL_Q)  # not the keys this time: typed into the shell
        term.press(b"\x01", b"x")
        assert term.wait() == 1  # the docker CLI's attach ends in an error, as against Docker
        term.expect(rb"read escape sequence")
    assert running(ph, "keys")


def test_exec_it_is_a_shell_with_its_own_terminal_size_and_exit_code(cli, ph):
    ph.docker("run", "-d", "--name", "box", "busybox", "sleep", "300", check=True)
    with session(cli, ph, "exec", "-it", "box", "sh", rows=20, columns=70) as term:
        term.expect(PROMPT)
        term.type(b"tty; stty size\r")
        term.expect(rb"/dev/pts/\d+\r\n20 70\r\n")
        assert resize_until_shown(term, 33, 99) == b"33 99"
        term.type(b"exit 5\r")
        assert term.wait() == 5


def test_exec_it_detaches_and_the_process_runs_on(cli, ph):
    ph.docker("run", "-d", "--name", "box", "busybox", "sleep", "300", check=True)
    with session(cli, ph, "exec", "-it", "box", "sh", "-c", "read x; echo $x > /tmp/got") as term:
        term.press(CTRL_P, CTRL_Q)
        assert term.wait() == 1  # docker exec ends in "read escape sequence", as against Docker
        term.expect(rb"read escape sequence")
    assert b"read x" in ph.docker("exec", "box", "ps", "-o", "args").stdout


def test_attach_to_a_stopped_container_is_refused_as_docker_does(cli, ph):
    ph.docker("create", "--name", "idle", "busybox", "true", check=True)
    with TerminalSession([*cli, "-H", ph.host, "attach", "idle"], cwd=str(REPO)) as term:
        assert term.wait() == 1
        term.expect(rb"You cannot attach to a stopped container, start it first")


def test_exec_i_without_a_terminal_passes_stdin_and_its_end(ph):
    ph.docker("run", "-d", "--name", "box", "busybox", "sleep", "300", check=True)
    result = ph.docker("exec", "-i", "box", "sh", "-c", "tr a-z A-Z; echo done >&2", input=b"hello\nworld\n")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"HELLO\nWORLD\n", b"done\n")
    big = b"".join(b"%07d\n" % i for i in range(200_000))
    assert ph.docker("exec", "-i", "box", "cat", input=big, timeout=120).stdout == big


def test_logs_of_a_terminal_container_are_its_raw_output(ph, client):
    ph.docker("run", "-t", "-d", "--name", "tty", "busybox", "sh", "-c", "echo a; printf 'b\\tc'", check=True)
    wait_for(lambda: not running(ph, "tty"), 20, what="the container's exit")
    assert ph.docker("logs", "tty").stdout == b"a\r\nb\tc"
    assert client.containers.get("tty").logs() == b"a\r\nb\tc"


def test_attach_logs_replays_what_was_written_then_streams(ph, client):
    container = client.containers.run(
        "busybox", ["sh", "-c", "echo early; read x; echo $x"], tty=True, stdin_open=True, detach=True
    )
    wait_for(lambda: b"early" in container.logs(), 20, what="the first line")
    sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1, "logs": 1})
    raw = getattr(sock, "_sock", sock)
    try:
        raw.sendall(b"late\n")
        received = b""
        deadline = time.monotonic() + 20
        while b"late\r\n" not in received.split(b"early", 1)[-1] and time.monotonic() < deadline:
            received += raw.recv(4096)
    finally:
        sock.close()
    assert received.startswith(b"early\r\n")  # raw, no frames: a terminal has one stream
    assert b"late\r\n" in received
    assert container.wait(timeout=30)["StatusCode"] == 0


def test_docker_py_exec_run_with_a_terminal(client):
    container = client.containers.run("busybox", ["sleep", "300"], detach=True)
    code, output = container.exec_run(["sh", "-c", "tty; echo out; echo err >&2"], tty=True)
    assert code == 0
    assert re.fullmatch(rb"/dev/pts/\d+\r\nout\r\nerr\r\n", output)  # one raw stream, the terminal's


def attached(client, since: float, count: int = 1) -> bool:
    """Whether the daemon has seen `count` attaches since `since` (the CLI proxies signals from before its attach)."""
    events = client.events(since=since, until=time.time(), filters={"event": "attach"}, decode=True)
    return len(list(events)) >= count


def test_sig_proxy_forwards_signals_to_a_non_terminal_container(ph, client):
    script = "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done"
    ph.docker("run", "-d", "--name", "sigs", "busybox", "sh", "-c", script, check=True)
    wait_for(lambda: b"ready" in ph.docker("logs", "sigs").stdout, 20, what="the trap")
    since = time.time()
    with TerminalSession(["docker", "-H", ph.host, "attach", "sigs"]) as term:  # no terminal: no raw mode
        wait_for(lambda: attached(client, since, 1), 20, what="the attach")
        term.signal(signal.SIGUSR1)
        term.expect(rb"got-usr1")
    assert running(ph, "sigs")  # the trap caught it: the proxy sent USR1, not a KILL


def test_a_terminal_container_outlives_a_daemon_restart(cli, ph):
    ph.docker("run", "-dit", "--name", "keep", "busybox", "sh", check=True)
    ph.kill(signal.SIGKILL)  # the shim holds the terminal's master, not the daemon
    ph.start()
    with session(cli, ph, "attach", "keep", rows=26, columns=88) as term:
        assert stty_size_once_resized(term, b"26 88") == b"26 88"
        term.type(b"exit 6\r")
        assert term.wait() == 6


def test_resize_of_a_stopped_container_is_a_conflict(ph, client):
    container = client.containers.create("busybox", ["true"], tty=True)
    with pytest.raises(docker.errors.APIError) as refused:
        container.resize(10, 10)
    assert refused.value.response.status_code == 409


def test_invalid_detach_keys_are_refused(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], tty=True, stdin_open=True, detach=True)
    response = client.api._post(
        client.api._url("/containers/{0}/attach", container.id),
        params={"stream": 1, "stdin": 1, "detachKeys": "ctrl-5"},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid detach keys (ctrl-5) provided"
