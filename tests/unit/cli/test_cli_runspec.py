"""`porthole run`/`create` command lines → the create body the docker CLI would send, and refusals before any
request (exit 125, the flag named)."""

import subprocess
import sys

import pytest

from porthole.cli.main import build_parser, main
from porthole.cli.runspec import create_body
from runtime.errors import InvalidParameter

MIB = 1 << 20


def body_of(*argv: str, verb: str = "run") -> dict:
    args = build_parser([verb, *argv]).parse_args([verb, *argv])
    return create_body(args)


def test_defaults_match_the_docker_cli():
    body = body_of("busybox")
    assert body["Image"] == "busybox"
    assert body["Cmd"] is None and body["Entrypoint"] is None
    assert (body["AttachStdout"], body["AttachStderr"], body["Tty"], body["OpenStdin"]) == (True, True, False, False)
    host = body["HostConfig"]
    assert host["NetworkMode"] == "default"
    assert host["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert host["LogConfig"] == {"Type": "", "Config": {}}
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"], host["PidsLimit"]) == (0, 0, 0, None)
    assert body["NetworkingConfig"] == {}
    assert "StopSignal" not in body and "StopTimeout" not in body


def test_the_command_keeps_its_own_flags():
    body = body_of("--rm", "busybox", "sh", "-c", "echo -d hi", "--rm")
    assert body["Cmd"] == ["sh", "-c", "echo -d hi", "--rm"]
    assert body["HostConfig"]["AutoRemove"] is True


def test_detached_attaches_nothing():
    body = body_of("-d", "busybox")
    assert (body["AttachStdout"], body["AttachStderr"]) == (False, False)


def test_config_flags(tmp_path):
    env_file = tmp_path / "app.env"
    env_file.write_text("FROM_FILE=1\nB=file\n")
    body = body_of(
        "--name",
        "web",
        "-e",
        "A=1",
        "--env-file",
        str(env_file),
        "-e",
        "B=flag",
        "-w",
        "/srv",
        "-h",
        "box",
        "-u",
        "1000:1000",
        "-l",
        "tier=web",
        "-l",
        "bare",
        "--entrypoint",
        "/bin/sh",
        "--stop-signal",
        "SIGINT",
        "--stop-timeout",
        "3",
        "busybox",
        "-c",
        "true",
    )
    assert body["Env"] == ["FROM_FILE=1", "B=file", "A=1", "B=flag"]  # env files first, as docker merges them
    assert (body["WorkingDir"], body["Hostname"], body["User"]) == ("/srv", "box", "1000:1000")
    assert body["Labels"] == {"tier": "web", "bare": ""}
    assert body["Entrypoint"] == ["/bin/sh"] and body["Cmd"] == ["-c", "true"]
    assert (body["StopSignal"], body["StopTimeout"]) == ("SIGINT", 3)


def test_an_empty_entrypoint_clears_the_images():
    assert body_of("--entrypoint", "", "busybox")["Entrypoint"] == [""]


def test_storage_and_network_flags():
    body = body_of(
        "-v",
        "/h:/c:ro",
        "-v",
        "/anon",
        "-v",
        "named:/n",
        "--volumes-from",
        "other:ro",
        "--mount",
        "type=tmpfs,target=/t",
        "-p",
        "8080:80",
        "-p",
        "127.0.0.1::53/udp",
        "-P",
        "--network",
        "appnet",
        "--ip",
        "10.5.0.9",
        "--network-alias",
        "db",
        "busybox",
    )
    host = body["HostConfig"]
    assert host["Binds"] == ["/h:/c:ro", "named:/n"]
    assert body["Volumes"] == {"/anon": {}}
    assert host["VolumesFrom"] == ["other:ro"]
    assert host["Mounts"] == [{"Type": "tmpfs", "Target": "/t"}]
    assert host["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
        "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
    }
    assert body["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert host["PublishAllPorts"] is True and host["NetworkMode"] == "appnet"
    assert body["NetworkingConfig"] == {
        "EndpointsConfig": {"appnet": {"IPAMConfig": {"IPv4Address": "10.5.0.9"}, "Aliases": ["db"]}}
    }


def test_resource_flags():
    host = body_of(
        "-m",
        "64m",
        "--memory-swap",
        "-1",
        "--memory-reservation",
        "32m",
        "-c",
        "512",
        "--cpus",
        "1.5",
        "--cpuset-cpus",
        "0",
        "--blkio-weight",
        "300",
        "--device-read-bps",
        "/dev/sda:1mb",
        "--device-write-bps",
        "/dev/sda:2mb",
        "--device-read-iops",
        "/dev/sda:100",
        "--device-write-iops",
        "/dev/sda:200",
        "--pids-limit",
        "50",
        "--oom-kill-disable",
        "--restart",
        "on-failure:2",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=1m",
        "busybox",
    )["HostConfig"]
    assert (host["Memory"], host["MemorySwap"], host["MemoryReservation"]) == (64 * MIB, -1, 32 * MIB)
    assert (host["CpuShares"], host["NanoCpus"], host["CpusetCpus"]) == (512, 1_500_000_000, "0")
    assert host["BlkioWeight"] == 300
    assert host["BlkioDeviceReadBps"] == [{"Path": "/dev/sda", "Rate": MIB}]
    assert host["BlkioDeviceWriteBps"] == [{"Path": "/dev/sda", "Rate": 2 * MIB}]
    assert host["BlkioDeviceReadIOps"] == [{"Path": "/dev/sda", "Rate": 100}]
    assert host["BlkioDeviceWriteIOps"] == [{"Path": "/dev/sda", "Rate": 200}]
    assert (host["PidsLimit"], host["OomKillDisable"]) == (50, True)
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m"}}


def test_create_takes_the_same_flags():
    assert body_of("-m", "8m", "busybox", "true", verb="create")["HostConfig"]["Memory"] == 8 * MIB


def test_restart_and_rm_conflict():
    with pytest.raises(InvalidParameter, match="conflicting options: --restart and --rm"):
        body_of("--rm", "--restart", "always", "busybox")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-m", "12x"], "argument -m/--memory: invalid size '12x': unknown unit 'x'"),
        (["--memory-swap", "lots"], "argument --memory-swap: invalid size 'lots'"),
        (["--cpus", "one"], "argument --cpus: invalid CPU count 'one'"),
        (["-p", "80/icmp"], "argument -p/--publish: invalid port spec '80/icmp': unknown protocol 'icmp'"),
        (["--mount", "type=bind"], "argument --mount: invalid mount 'type=bind': target is required"),
        (["--restart", "sometimes"], "argument --restart: invalid restart policy 'sometimes'"),
        (["--device-read-bps", "sda:1"], "argument --device-read-bps: invalid device rate 'sda:1'"),
        (["-e", "=x"], "argument -e/--env: invalid environment variable '=x'"),
        (["--env-file", "/nonexistent/x.env"], "argument --env-file: env file '/nonexistent/x.env'"),
    ],
)
def test_bad_flags_exit_125_naming_the_flag(capsys, argv, message):
    with pytest.raises(SystemExit) as caught:
        main(["-H", "unix:///nonexistent.sock", "run", *argv, "busybox"])
    assert caught.value.code == 125
    err = capsys.readouterr().err
    assert err.startswith(f"porthole run: {message}")
    assert err.endswith("See 'porthole run --help'.\n")


def test_a_terminal_is_asked_for_attached_or_detached():
    assert body_of("-it", "busybox", "sh")["Tty"] is True
    assert body_of("-dit", "busybox", "sh")["Tty"] is True


@pytest.mark.parametrize(
    ("argv", "verb", "expected"),
    [
        (("-i",), "run", (True, True, True)),  # attached: our stdin goes in, its end closes the container's
        (("-d", "-i"), "run", (False, True, False)),  # kept open for a later attach
        (("-i",), "create", (True, True, False)),
        ((), "run", (False, False, False)),
    ],
)
def test_stdin_fields_as_the_docker_cli_sets_them(argv, verb, expected):
    body = body_of(*argv, "busybox", "cat", verb=verb)
    assert (body["AttachStdin"], body["OpenStdin"], body["StdinOnce"]) == expected


def test_conflicting_flags_exit_125_before_any_request(capsys):
    assert main(["-H", "unix:///nonexistent.sock", "run", "--rm", "--restart", "always", "busybox"]) == 125
    assert capsys.readouterr().err == "porthole run: conflicting options: --restart and --rm\n"


def test_help_and_bad_flags_never_import_docker_py():
    code = (
        "import sys\nfrom porthole.cli.main import main\n"
        "for argv in (['--help'], ['run', '--help'], ['run', '-m', '1x', 'busybox']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "print('docker' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
