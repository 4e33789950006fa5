"""`docker run` end to end, with the real docker CLI and docker-py: output, exit codes, --rm, -d."""

import pytest

pytestmark = pytest.mark.root


def test_attached_run_prints_output_and_exits_with_the_containers_code(ph):
    result = ph.docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert result.returncode == 3
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"
    assert ph.docker("ps", "-aq").stdout == b""  # --rm removed it


def test_missing_executable_exits_127_with_dockers_message(ph):
    result = ph.docker("run", "--rm", "busybox", "no-such-command")
    assert result.returncode == 127
    assert b'exec: "no-such-command": executable file not found in $PATH' in result.stderr


def test_docker_py_run_returns_output(client):
    assert client.containers.run("busybox", ["echo", "hello from docker-py"], remove=True) == b"hello from docker-py\n"


def test_detached_container_runs_and_stops(ph, client):
    cid = (
        ph.docker(
            "run",
            "-d",
            "--name",
            "ticker",
            "busybox",
            "sh",
            "-c",
            "trap 'exit 0' TERM; while true; do sleep 0.1; done",
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    container = client.containers.get(cid)
    assert container.status == "running"
    assert container.name == "ticker"
    assert ph.docker("stop", "-t", "5", "ticker", check=True).stdout == b"ticker\n"
    container.reload()
    assert container.status == "exited"
    assert container.attrs["State"]["ExitCode"] == 0
