"""`docker logs` and docker-py's logs(): the json-file log, --tail, --since, --until, -t, -f and streams."""

import re
import subprocess
import time

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

TIMESTAMP = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


@pytest.fixture
def finished(ph, client):
    """A container that printed five stdout lines and one stderr line, then exited."""
    container = client.containers.run(
        "busybox", ["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2"], detach=True
    )
    container.wait(timeout=10)
    return container


def test_logs_print_stdout_and_stderr_to_their_streams(ph, finished):
    result = ph.docker("logs", finished.id)
    assert result.returncode == 0
    assert result.stdout == b"line1\nline2\nline3\nline4\nline5\n"
    assert result.stderr == b"oops\n"


def test_docker_py_logs_select_streams(finished):
    assert finished.logs(stdout=True, stderr=False) == b"line1\nline2\nline3\nline4\nline5\n"
    assert finished.logs(stdout=False, stderr=True) == b"oops\n"


def test_tail_gives_the_last_lines(ph, finished):
    assert ph.docker("logs", "--tail", "2", finished.id).stderr == b"oops\n"
    assert ph.docker("logs", "--tail", "2", finished.id).stdout == b"line5\n"
    assert finished.logs(tail=3, stderr=False) == b"line4\nline5\n"
    assert ph.docker("logs", "--tail", "0", finished.id).stdout == b""
    assert ph.docker("logs", "--tail", "all", finished.id).stdout.count(b"\n") == 5


def test_timestamps_prefix_each_line_with_rfc3339_nano(ph, finished):
    lines = ph.docker("logs", "-t", finished.id).stdout.splitlines(keepends=True)
    assert len(lines) == 5
    for i, line in enumerate(lines, 1):
        assert TIMESTAMP.match(line), line
        assert line.endswith(f" line{i}\n".encode())


def test_since_and_until_select_by_time(ph, client):
    container = client.containers.run("busybox", ["sh", "-c", "echo early; sleep 1.2; echo late"], detach=True)
    wait_for(lambda: container.logs() == b"early\n", 10, what="the first line")
    middle = time.time() + 0.5
    container.wait(timeout=10)
    assert container.logs(since=middle) == b"late\n"
    assert container.logs(until=middle) == b"early\n"
    # the CLI's relative form: everything of the last minute
    assert ph.docker("logs", "--since", "1m", container.id).stdout == b"early\nlate\n"
    assert ph.docker("logs", "--since", "2000-01-01T00:00:00Z", container.id).stdout == b"early\nlate\n"
    assert ph.docker("logs", "--until", "2000-01-01T00:00:00Z", container.id).stdout == b""


def test_follow_prints_a_line_printed_later_and_ends_with_the_container(ph, client):
    container = client.containers.run(
        "busybox",
        ["sh", "-c", "echo first; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second"],
        detach=True,
    )
    wait_for(lambda: container.logs() == b"first\n", 10, what="the first line")
    follower = subprocess.Popen(
        ["docker", "-H", ph.host, "logs", "-f", container.id], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert follower.stdout.readline() == b"first\n"
        assert follower.poll() is None  # still following
        container.exec_run(["touch", "/tmp/go"])
        assert follower.stdout.readline() == b"second\n"
        assert follower.wait(timeout=10) == 0  # the container ended, so did the follow
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.communicate()


def test_follow_with_tail_zero_shows_only_new_lines(ph, client):
    container = client.containers.run(
        "busybox", ["sh", "-c", "echo old; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo new"], detach=True
    )
    wait_for(lambda: container.logs() == b"old\n", 10, what="the first line")
    follower = subprocess.Popen(
        ["docker", "-H", ph.host, "logs", "-f", "--tail", "0", container.id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        container.exec_run(["touch", "/tmp/go"])
        assert follower.wait(timeout=10) == 0
        assert follower.stdout.read() == b"new\n"
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.communicate()


def test_docker_py_stream_yields_lines_as_they_come(client):
    container = client.containers.run(
        "busybox", ["sh", "-c", "for i in 1 2 3; do echo tick$i; sleep 0.3; done"], detach=True
    )
    arrivals = []
    for chunk in container.logs(stream=True, follow=True):
        arrivals.append((time.monotonic(), chunk))
    assert b"".join(c for _, c in arrivals) == b"tick1\ntick2\ntick3\n"
    assert arrivals[-1][0] - arrivals[0][0] >= 0.4  # streamed, not delivered at the end in one piece


def test_followers_that_leave_do_not_hold_the_daemon(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    for _ in range(5):
        container.logs(stream=True, follow=True).close()
    assert ph.docker("ps", "-q").stdout.strip() == container.id[:12].encode()
    ph.docker("rm", "-f", container.id, check=True)  # a leftover follower would not keep rm waiting


def test_logs_keep_long_and_partial_lines_whole(ph, client):
    long_line = "x" * 40000
    container = client.containers.run("busybox", ["sh", "-c", f"echo {long_line}; printf no-newline"], detach=True)
    container.wait(timeout=10)
    assert ph.docker("logs", container.id).stdout == long_line.encode() + b"\nno-newline"


def test_logs_of_an_unknown_container_are_404(ph):
    result = ph.docker("logs", "nosuch")
    assert result.returncode == 1
    assert b"No such container: nosuch" in result.stderr


def test_logs_survive_a_restart_and_accumulate(client):
    container = client.containers.run("busybox", ["echo", "again"], detach=True)
    container.wait(timeout=10)
    container.start()
    container.wait(timeout=10)
    assert container.logs() == b"again\nagain\n"


def test_attached_run_with_the_none_log_driver_shows_the_output_and_exits_with_its_code(ph):
    script = "echo shown; echo also >&2; exit 3"
    result = ph.docker("run", "--rm", "--log-driver", "none", "busybox", "sh", "-c", script)
    assert (result.returncode, result.stdout, result.stderr) == (3, b"shown\n", b"also\n")  # as Docker's run
    assert ph.docker("ps", "-aq").stdout == b""


def test_attach_to_a_none_container_streams_its_output(ph):
    script = "read x; echo got $x"
    cid = ph.docker("run", "-d", "-i", "--log-driver", "none", "busybox", "sh", "-c", script, check=True).stdout
    attached = ph.docker("attach", cid.strip().decode(), input=b"it\n")
    assert (attached.returncode, attached.stdout) == (0, b"got it\n")
    assert b"does not support reading" in ph.docker("logs", cid.strip().decode()).stderr


def test_logs_of_a_container_with_the_none_driver_are_refused(ph, client):
    container = client.containers.run("busybox", ["true"], detach=True, log_config={"Type": "none"})
    container.wait(timeout=10)
    result = ph.docker("logs", container.id)
    assert result.returncode != 0
    assert b"configured logging driver does not support reading" in result.stderr
