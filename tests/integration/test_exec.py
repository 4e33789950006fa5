"""`docker exec` and docker-py's exec_run: output, exit codes, environment, user, working dir, namespaces."""

import os
import socket
import time

import docker
import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


@pytest.fixture
def box(ph, client):
    container = client.containers.run(
        "busybox",
        ["sleep", "120"],
        detach=True,
        name="box",
        environment={"FROM_RUN": "yes"},
        working_dir="/srv",
        hostname="boxhost",
    )
    return container


def test_exec_prints_stdout_and_stderr_apart(ph, box):
    result = ph.docker("exec", "box", "sh", "-c", "echo out; echo err >&2")
    assert result.returncode == 0
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"


def test_exec_exit_code_is_the_commands(ph, box):
    assert ph.docker("exec", "box", "sh", "-c", "exit 7").returncode == 7


@pytest.mark.parametrize(
    ("flags", "command", "reason"),
    [
        ((), "no-such-cmd", 'exec: "no-such-cmd": executable file not found in $PATH'),
        ((), "/no/such/bin", 'exec: "/no/such/bin": stat /no/such/bin: no such file or directory'),
    ],
)
def test_exec_that_cannot_start_exits_126_with_runcs_message(ph, box, flags, command, reason):
    # Docker's 126 for every exec that failed to start (a `run` tells 127 from 126)
    result = ph.docker("exec", *flags, "box", command)
    assert result.returncode == 126
    expected = f"OCI runtime exec failed: exec failed: unable to start container process: {reason}: unknown"
    assert expected.encode() in result.stdout + result.stderr


def test_exec_as_an_unknown_user_exits_126_with_mobys_own_refusal(ph, box):
    # dockerd looks the user up before runc runs: its words come bare, without runc's frame
    result = ph.docker("exec", "-u", "nosuchuser", "box", "true")
    assert result.returncode == 126
    assert result.stdout == b"unable to find user nosuchuser: no matching entries in passwd file\r\n"


@pytest.mark.parametrize(
    ("workdir", "why"), [("/nonexist/dir", "no such file or directory"), ("/etc/passwd", "not a directory")]
)
def test_exec_into_a_working_dir_that_is_no_directory_exits_126_with_runcs_words(ph, box, workdir, why):
    result = ph.docker("exec", "-w", workdir, "box", "pwd")
    assert result.returncode == 126
    assert result.stdout.startswith(
        b"OCI runtime exec failed: exec failed: unable to start container process: "
        + f'chdir to cwd ("{workdir}") set in config.json failed: {why}: unknown'.encode()
    )


def test_exec_into_a_relative_working_dir_exits_126_as_runc_refuses_it(ph, box):
    result = ph.docker("exec", "-w", "tmp", "box", "pwd")
    assert result.returncode == 126
    assert b"OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown" in result.stdout


def test_exec_run_returns_exit_code_and_output(box):
    # many times: output sent right behind the 101 response was once lost to docker-py's header buffer
    results = {box.exec_run(["sh", "-c", f"echo hi {i}; exit 3"]) for i in range(20)}
    assert results == {(3, f"hi {i}\n".encode()) for i in range(20)}


def test_exec_run_demuxed_streams(box):
    code, (out, err) = box.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
    assert (code, out, err) == (0, b"o\n", b"e\n")


def test_exec_run_streams_output_as_it_comes(box):
    result = box.exec_run(["sh", "-c", "echo first; sleep 0.5; echo second"], stream=True)
    arrivals = []
    for chunk in result.output:
        arrivals.append((time.monotonic(), chunk))
    assert b"".join(c for _, c in arrivals) == b"first\nsecond\n"
    assert arrivals[-1][0] - arrivals[0][0] >= 0.3  # the first line came before the sleep ended


def test_exec_inherits_the_containers_env_workdir_and_hostname(ph, box):
    result = ph.docker("exec", "box", "sh", "-c", 'echo "$FROM_RUN $(pwd) $(hostname) $HOSTNAME $HOME"')
    assert result.stdout == b"yes /srv boxhost boxhost /root\n"


def test_exec_env_workdir_and_user_flags(ph, box):
    result = ph.docker(
        "exec", "-e", "X=1", "-w", "/tmp", "-u", "nobody", "box", "sh", "-c", 'echo "$X $(pwd) $(id -u)"'
    )
    assert result.stdout == b"1 /tmp 65534\n"
    code, output = box.exec_run(
        ["sh", "-c", 'echo "$Y $(pwd) $(id -u)"'], environment={"Y": "2"}, workdir="/", user="1000"
    )
    assert (code, output) == (0, b"2 / 1000\n")


def test_exec_joins_the_containers_namespaces_and_cgroup(ph, client, box):
    pid = client.api.inspect_container(box.id)["State"]["Pid"]
    script = "for ns in pid mnt net uts ipc; do readlink /proc/self/ns/$ns; done; cat /proc/self/cgroup"
    code, output = box.exec_run(["sh", "-c", script])
    lines = output.decode().splitlines()
    assert lines[:5] == [os.readlink(f"/proc/{pid}/ns/{ns}") for ns in ("pid", "mnt", "net", "uts", "ipc")]
    assert any(box.id in line for line in lines[5:])


def test_exec_sees_the_containers_processes_only(box):
    code, output = box.exec_run(["ps", "-o", "pid,comm"])
    rows = [line.split() for line in output.decode().splitlines()[1:]]
    assert ["1", "sleep"] in rows
    assert {comm for _, comm in rows} == {"sleep", "ps"}


def test_exec_has_dockers_capabilities(box):
    code, output = box.exec_run(["grep", "CapEff", "/proc/self/status"])
    assert output.split() == [b"CapEff:", b"00000000a80425fb"]


def test_exec_detached_runs_in_the_background(ph, box):
    ph.docker("exec", "-d", "box", "sh", "-c", "sleep 0.2; echo done > /tmp/detached", check=True)
    wait_for(lambda: box.exec_run(["cat", "/tmp/detached"]).output == b"done\n", 10, what="the detached exec")


@pytest.mark.parametrize(("flags", "output"), [((), b"hi\n"), (("-t",), b"hi\r\n")])
def test_exec_ends_soon_after_its_process_though_a_background_child_holds_the_output(ph, box, flags, output):
    """moby gives an exited exec's streams 2 s, then closes them; porthole waited for the child's end (60 s)."""
    started = time.monotonic()
    result = ph.docker("exec", *flags, "box", "sh", "-c", "echo hi; sleep 60 &")
    assert (result.returncode, result.stdout) == (0, output)
    assert time.monotonic() - started < 30


def test_exec_inspect_reports_exit_code_and_command(client, box):
    exec_id = client.api.exec_create(box.id, ["sh", "-c", "exit 5"])["Id"]
    before = client.api.exec_inspect(exec_id)
    assert before["Running"] is False and before["ExitCode"] is None
    client.api.exec_start(exec_id)
    after = client.api.exec_inspect(exec_id)
    assert after["ExitCode"] == 5
    assert after["ProcessConfig"]["entrypoint"] == "sh"
    assert after["ContainerID"] == box.id


def test_exec_into_a_stopped_container_is_refused(ph, client):
    container = client.containers.create("busybox", ["true"])
    result = ph.docker("exec", container.id, "true")
    assert result.returncode != 0
    assert b"is not running" in result.stderr


def test_exec_processes_are_killed_with_the_container(ph, client, box):
    ph.docker("exec", "-d", "box", "sleep", "300", check=True)

    def exec_pid() -> int | None:
        top = box.top()
        rows = [p for p in top["Processes"] if p[top["Titles"].index("CMD")] == "sleep 300"]
        return int(rows[0][top["Titles"].index("PID")]) if rows else None

    pid = wait_for(exec_pid, 5, what="the exec'd process")
    box.kill()
    box.wait(timeout=10)
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 5, what="the exec'd process to die with the container")


def test_exec_run_of_a_missing_command_reports_126(client, box):
    # the reason is in the stream (checked with the CLI above); docker-py may miss bytes that arrive with
    # the 101 response, so only the codes are checked here
    assert box.exec_run(["no-such-cmd"]).exit_code == 126
    exec_id = client.api.exec_create(box.id, ["no-such-cmd"])["Id"]
    client.api.exec_start(exec_id)
    assert client.api.exec_inspect(exec_id)["ExitCode"] == 126


def test_an_exec_instance_runs_once(ph, client, box):
    exec_id = client.api.exec_create(box.id, ["true"])["Id"]
    client.api.exec_start(exec_id)
    with pytest.raises(docker.errors.APIError) as refused:
        client.api.exec_start(exec_id)
    assert refused.value.status_code == 409
    assert "has already run" in refused.value.explanation


def test_exec_start_after_the_container_stopped_is_a_conflict(client, box):
    exec_id = client.api.exec_create(box.id, ["true"])["Id"]
    box.kill()
    box.wait(timeout=10)
    with pytest.raises(docker.errors.APIError) as refused:
        client.api.exec_start(exec_id)
    assert refused.value.status_code == 409
    assert "is not running" in refused.value.explanation


def test_exec_output_never_arrives_with_the_101_response(ph, client, box):
    """docker-py reads the stream past its header buffer: output sent with the headers would be lost to it.
    A client slow to read its response still gets the headers alone, then the output."""
    exec_id = client.api.exec_create(box.id, ["echo", "after the headers"])["Id"]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(ph.socket))
    with sock:
        body = b'{"Detach": false, "Tty": false}'
        sock.sendall(
            b"POST /v1.47/exec/" + exec_id.encode() + b"/start HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        time.sleep(0.3)  # a slow client: had the process started at once, its output would be here by now
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 101") and first.endswith(b"\r\n\r\n")
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    assert rest == b"\x01\x00\x00\x00\x00\x00\x00\x12after the headers\n"


def test_exec_into_a_paused_container_names_it_as_the_user_did(ph, box):
    box.pause()
    result = ph.docker("exec", "box", "true")
    assert result.returncode == 1
    assert b"Error response from daemon: Container box is paused, unpause the container before exec" in result.stderr
    box.unpause()


def test_an_exec_has_the_containers_added_groups_with_any_user(ph):
    """moby's getUser adds HostConfig.GroupAdd to an exec's groups, whoever it runs as."""
    ph.docker("run", "-d", "--name", "grouped", "--group-add", "1234", "busybox", "sleep", "60", check=True)
    assert "1234" in ph.docker("exec", "grouped", "id", "-G", check=True).stdout.decode().split()
    assert ph.docker("exec", "-u", "nobody", "grouped", "id", "-G", check=True).stdout.decode().split() == [
        "65534",
        "1234",
    ]
