"""The `porthole` command end to end against a real daemon: what a user sees (output, exit codes, progress) and
what the daemon reports afterwards through docker-py."""

import json
import os
import re
import signal
import subprocess
import sys
import tarfile

import docker
import pytest

from porthole.cli.output import human_size
from tests.support.cli import porthole
from tests.support.daemon import REPO
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

HEX64 = re.compile(r"[0-9a-f]{64}")
MIB = 1 << 20


def ok(ph, *args: str, **kwargs) -> str:
    result = porthole(ph, *args, **kwargs)
    assert result.returncode == 0, f"porthole {' '.join(args)} exited {result.returncode}: {result.stderr}"
    return result.stdout


@pytest.fixture
def tags(client):
    """Image names a test makes; removed after it."""
    made: list[str] = []
    yield made
    for name in made:
        try:
            client.images.remove(name, force=True)
        except docker.errors.NotFound:
            continue


def detached(ph, name: str, *command: str, flags: tuple[str, ...] = ()) -> str:
    out = ok(ph, "run", "-d", "--name", name, *flags, "busybox", *(command or ("sleep", "60")))
    return out.strip()


# images


def test_import_from_stdin_shows_progress_and_applies_changes(ph, client, tags, busybox_rootfs):
    tags.append("cli/imported:1")
    rootfs = subprocess.Popen(
        [sys.executable, "-m", "porthole.cli.main", "busybox-rootfs"], stdout=subprocess.PIPE, cwd=REPO
    )
    try:
        result = porthole(
            ph,
            "import",
            "--progress",
            "plain",
            "-c",
            'CMD ["echo", "hi"]',
            "-c",
            "ENV A=1",
            "-m",
            "from stdin",
            "-",
            "cli/imported:1",
            stdin=rootfs.stdout,
        )
    finally:
        rootfs.stdout.close()
        rootfs.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", result.stdout)
    # A pipe has no size: the progress counts the bytes sent, the last line all of them.
    assert result.stderr.splitlines()[-1] == f"Importing  {human_size(busybox_rootfs.stat().st_size)}"
    image = client.images.get("cli/imported:1")
    assert image.id == result.stdout.strip()
    assert image.attrs["Config"]["Cmd"] == ["echo", "hi"]
    assert "A=1" in image.attrs["Config"]["Env"]
    assert image.history()[0]["Comment"] == "from stdin"
    assert ok(ph, "run", "--rm", "cli/imported:1") == "hi\n"


def test_import_of_a_file_shows_a_bar_to_the_total(ph, client, tags, busybox_rootfs):
    tags.append("cli/fromfile:latest")
    total = human_size(busybox_rootfs.stat().st_size)
    result = porthole(ph, "import", "--progress", "plain", str(busybox_rootfs), "cli/fromfile")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1].endswith(f"]  {total}/{total}  100%")
    with open(busybox_rootfs, "rb") as redirected:  # `porthole import - < file`: stdin is a file, so sized too
        again = porthole(ph, "import", "--progress", "plain", "-", "cli/fromfile", stdin=redirected)
    assert again.stderr.splitlines()[-1].endswith("100%")
    assert client.images.get("cli/fromfile:latest").id == again.stdout.strip()


def test_progress_is_silent_off_a_terminal_by_default(ph, tags, busybox_rootfs):
    tags.append("cli/quiet:1")
    result = porthole(ph, "import", str(busybox_rootfs), "cli/quiet:1")
    assert result.returncode == 0 and result.stderr == ""


def test_save_and_load_round_trip(ph, client, tags, tmp_path):
    tags.append("cli/roundtrip:1")
    ok(ph, "tag", "busybox", "cli/roundtrip:1")
    archive = tmp_path / "saved.tar"
    assert ok(ph, "save", "-o", str(archive), "cli/roundtrip:1") == ""
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["cli/roundtrip:1"]
    image_id = client.images.get("cli/roundtrip:1").id
    assert ok(ph, "rmi", "cli/roundtrip:1") == "Untagged: cli/roundtrip:1\n"

    loaded = porthole(ph, "load", "--progress", "plain", "-i", str(archive))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == "Loaded image: cli/roundtrip:1\n"
    assert loaded.stderr.splitlines()[-1].endswith("100%")
    assert client.images.get("cli/roundtrip:1").id == image_id

    ok(ph, "rmi", "cli/roundtrip:1")
    with open(archive, "rb") as stdin:
        assert ok(ph, "load", "-q", stdin=stdin) == "Loaded image: cli/roundtrip:1\n"
    with open(tmp_path / "stdout.tar", "wb") as out:  # save to a pipe or file on stdout
        assert porthole(ph, "save", "cli/roundtrip:1", stdout=out).returncode == 0
    assert (tmp_path / "stdout.tar").read_bytes() == archive.read_bytes()


def test_images_history_tag_inspect_rmi(ph, client, tags):
    tags.append("cli/tagged:v1")
    busybox_id = client.images.get("busybox").id
    assert ok(ph, "tag", "busybox:latest", "cli/tagged:v1") == ""
    table = ok(ph, "images").splitlines()
    assert table[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    rows = {tuple(line.split()[:3]) for line in table[1:]}
    assert {("busybox", "latest", busybox_id[7:19]), ("cli/tagged", "v1", busybox_id[7:19])} <= rows
    assert busybox_id[7:19] in ok(ph, "images", "-q").split()
    assert [line.split()[1] for line in ok(ph, "images", "cli/tagged").splitlines()[1:]] == ["v1"]
    inspected = json.loads(ok(ph, "image", "inspect", "cli/tagged:v1"))
    assert inspected[0]["Id"] == busybox_id
    history = ok(ph, "history", "busybox").splitlines()
    assert history[0].split()[:2] == ["IMAGE", "CREATED"]
    assert history[1].startswith(busybox_id[7:19])
    assert ok(ph, "rmi", "cli/tagged:v1") == "Untagged: cli/tagged:v1\n"
    missing = porthole(ph, "rmi", "cli/tagged:v1")
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error response from daemon: No such image: cli/tagged:v1")


def test_busybox_rootfs_refuses_a_terminal(ph):
    leader, follower = os.openpty()
    try:
        result = porthole(ph, "busybox-rootfs", stdout=follower)
    finally:
        os.close(leader)
        os.close(follower)
    assert result.returncode == 125
    assert "refusing to write a tar to a terminal" in result.stderr


# running


def test_attached_run_prints_output_and_exits_with_the_containers_code(ph, client):
    result = porthole(ph, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert client.containers.list(all=True) == []  # --rm removed it


def test_attached_run_streams_output_as_it_comes(ph):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "porthole.cli.main",
            "-H",
            ph.host,
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 143' TERM; echo first; sleep 30 & wait",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert process.stdout.readline() == b"first\n"  # while the container still runs
        process.send_signal(signal.SIGTERM)  # passed on to the container, whose trap ends it
        assert process.stdout.readline() == b"got TERM\n"
        assert process.wait(timeout=30) == 143
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (
            ["busybox", "no-such-command"],
            127,
            'Error response from daemon: exec: "no-such-command": executable file not found in $PATH',
        ),
        (["cli/no-such-image"], 125, "Error response from daemon: No such image: cli/no-such-image"),
        (["-m", "12x", "busybox"], 125, "porthole run: argument -m/--memory: invalid size '12x': unknown unit 'x'"),
        (["--cpus", "lots", "busybox"], 125, "porthole run: argument --cpus: invalid CPU count 'lots'"),
    ],
)
def test_run_failures_exit_as_docker(ph, client, argv, status, message):
    result = porthole(ph, "run", "--rm", *argv)
    assert result.returncode == status
    assert result.stderr.startswith(message)
    assert client.containers.list(all=True) == []


def test_run_detached_applies_the_flags(ph, client, tmp_path):
    env_file = tmp_path / "app.env"
    env_file.write_text("FROM_FILE=yes\n")
    cid = detached(
        ph,
        "cliweb",
        flags=(
            "-e",
            "A=1",
            "--env-file",
            str(env_file),
            "-w",
            "/tmp",
            "-h",
            "clihost",
            "-u",
            "1000",
            "-l",
            "tier=web",
            "-m",
            "64m",
            "--memory-swap",
            "128m",
            "--cpus",
            "0.5",
            "-c",
            "512",
            "--pids-limit",
            "50",
            "--restart",
            "on-failure:2",
            "--stop-signal",
            "SIGINT",
            "--stop-timeout",
            "4",
            "-v",
            "/scratch",
            "--log-opt",
            "max-size=1m",
        ),
    )
    assert HEX64.fullmatch(cid)
    attrs = client.containers.get("cliweb").attrs
    host, config = attrs["HostConfig"], attrs["Config"]
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"], host["CpuShares"]) == (
        64 * MIB,
        128 * MIB,
        500_000_000,
        512,
    )
    assert host["PidsLimit"] == 50
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert host["LogConfig"]["Config"] == {"max-size": "1m"}
    assert {"A=1", "FROM_FILE=yes"} <= set(config["Env"])
    assert (config["WorkingDir"], config["Hostname"], config["User"]) == ("/tmp", "clihost", "1000")
    assert (config["Labels"], config["StopSignal"], config["StopTimeout"]) == ({"tier": "web"}, "SIGINT", 4)
    assert [m["Destination"] for m in attrs["Mounts"]] == ["/scratch"]
    assert (
        ok(ph, "exec", "-e", "B=2", "-w", "/etc", "cliweb", "sh", "-c", "echo $A $B $PWD $(hostname) $(id -u)")
        == "1 2 /etc clihost 1000\n"
    )


def test_run_applies_cpu_block_io_and_entrypoint_flags(ph, client):
    device = next((d for d in ("/dev/vda", "/dev/sda", "/dev/nvme0n1") if os.path.exists(d)), None)
    if device is None:
        pytest.skip("no block device to throttle")
    detached(
        ph,
        "cliblkio",
        "-c",
        "sleep 60",
        flags=(
            "--entrypoint",
            "/bin/sh",
            "--cpuset-cpus",
            "0",
            "--blkio-weight",
            "300",
            "--memory-reservation",
            "32m",
            "--device-read-bps",
            f"{device}:1mb",
            "--device-write-iops",
            f"{device}:100",
            "--oom-kill-disable",
            "-m",
            "64m",
        ),
    )
    attrs = client.containers.get("cliblkio").attrs
    host = attrs["HostConfig"]
    assert (attrs["Config"]["Entrypoint"], attrs["Config"]["Cmd"]) == (["/bin/sh"], ["-c", "sleep 60"])
    assert (host["CpusetCpus"], host["BlkioWeight"], host["MemoryReservation"]) == ("0", 300, 32 * MIB)
    assert host["BlkioDeviceReadBps"] == [{"Path": device, "Rate": MIB}]
    assert host["BlkioDeviceWriteIOps"] == [{"Path": device, "Rate": 100}]
    assert host["OomKillDisable"] is True


def test_run_mounts_binds_and_volumes_from(ph, tmp_path):
    (tmp_path / "note").write_text("from the host\n")
    assert (
        ok(
            ph,
            "run",
            "--rm",
            "--mount",
            f"type=bind,source={tmp_path},target=/host,readonly",
            "busybox",
            "cat",
            "/host/note",
        )
        == "from the host\n"
    )
    refused = porthole(ph, "run", "--rm", "-v", f"{tmp_path}:/host:ro", "busybox", "touch", "/host/x")
    assert refused.returncode == 1 and "Read-only file system" in refused.stderr
    ok(ph, "create", "--name", "clidata", "-v", "/shared", "busybox", "true")
    ok(ph, "run", "--rm", "--volumes-from", "clidata", "busybox", "sh", "-c", "echo kept > /shared/file")
    assert ok(ph, "run", "--rm", "--volumes-from", "clidata:ro", "busybox", "cat", "/shared/file") == "kept\n"


def test_exec_status_streams_and_detach(ph):
    detached(ph, "cliexec")
    result = porthole(ph, "exec", "-u", "0", "cliexec", "sh", "-c", "echo out; echo err >&2; exit 5")
    assert (result.returncode, result.stdout, result.stderr) == (5, "out\n", "err\n")
    assert ok(ph, "exec", "-d", "cliexec", "touch", "/tmp/marker") == ""
    wait_for(
        lambda: porthole(ph, "exec", "cliexec", "test", "-e", "/tmp/marker").returncode == 0,
        what="the detached exec's file",
    )


def test_exec_i_sends_stdin_and_its_end(ph):
    detached(ph, "cliexeci")
    result = porthole(ph, "exec", "-i", "cliexeci", "sh", "-c", "tr a-z A-Z; echo done >&2", input=b"hello\n")
    assert (result.returncode, result.stdout, result.stderr) == (0, "HELLO\n", "done\n")


def test_create_then_start_and_wait(ph, client):
    cid = ok(ph, "create", "--name", "clicreated", "busybox", "sh", "-c", "exit 7").strip()
    assert client.containers.get(cid).status == "created"
    assert ok(ph, "start", "clicreated") == "clicreated\n"
    assert ok(ph, "wait", "clicreated") == "7\n"


def test_run_publishes_ports_and_port_lists_them(ph, client):
    detached(ph, "cliports", "httpd", "-f", "-p", "80", flags=("-p", "127.0.0.1::80", "-p", "127.0.0.1::81/udp"))
    bindings = client.containers.get("cliports").attrs["NetworkSettings"]["Ports"]
    tcp, udp = bindings["80/tcp"][0]["HostPort"], bindings["81/udp"][0]["HostPort"]
    assert ok(ph, "port", "cliports").splitlines() == [f"80/tcp -> 127.0.0.1:{tcp}", f"81/udp -> 127.0.0.1:{udp}"]
    assert ok(ph, "port", "cliports", "80") == f"127.0.0.1:{tcp}\n"
    missing = porthole(ph, "port", "cliports", "443")
    assert (missing.returncode, missing.stderr) == (
        1,
        "porthole port: no public port '443/tcp' published for cliports\n",
    )
    ps_line = ok(ph, "ps", "--filter", "name=cliports").splitlines()[1]
    assert f"127.0.0.1:{tcp}->80/tcp" in ps_line


# looking at containers


def test_ps_table_and_filters(ph, client):
    web = detached(ph, "cli-ps-web", flags=("-l", "tier=web"))
    detached(ph, "cli-ps-db", flags=("-l", "tier=db"))
    ok(ph, "run", "--name", "cli-ps-done", "busybox", "true")
    table = ok(ph, "ps").splitlines()
    assert re.fullmatch(r"CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES", table[0])
    assert table[0].index("IMAGE") == len("CONTAINER ID") + 3  # docker's padding
    assert sorted(line.split()[-1] for line in table[1:]) == ["cli-ps-db", "cli-ps-web"]
    web_line = next(line for line in table if line.endswith("cli-ps-web"))
    assert web_line.startswith(f'{web[:12]}   busybox   "sleep 60"')
    assert " Up " in web_line

    def names(*argv: str) -> list[str]:
        return sorted(line.split()[-1] for line in ok(ph, "ps", *argv).splitlines()[1:])

    assert names("-a") == ["cli-ps-db", "cli-ps-done", "cli-ps-web"]
    assert names("-a", "--filter", "status=exited") == ["cli-ps-done"]
    assert names("--filter", "label=tier=web") == ["cli-ps-web"]
    assert names("-a", "--filter", "name=cli-ps-d") == ["cli-ps-db", "cli-ps-done"]
    assert names("-n", "1") == ["cli-ps-done"]  # the last created, stopped or not
    assert ok(ph, "ps", "-q", "--filter", "name=cli-ps-web") == f"{web[:12]}\n"
    assert ok(ph, "ps", "-q", "--no-trunc", "--filter", "name=cli-ps-web") == f"{web}\n"
    exited_line = ok(ph, "ps", "-a", "--filter", "status=exited").splitlines()[1]
    assert "Exited (0)" in exited_line


def test_inspect_top_and_templates(ph, client):
    cid = detached(ph, "cliinspect")
    inspected = json.loads(ok(ph, "inspect", "cliinspect"))
    assert inspected[0]["Id"] == cid
    assert (
        ok(ph, "inspect", "-f", "{{.State.Status}} {{.Name}} {{json .Config.Cmd}}", "cliinspect")
        == 'running /cliinspect ["sleep", "60"]\n'
    )
    assert json.loads(ok(ph, "inspect", "busybox"))[0]["RepoTags"] == ["busybox:latest"]
    missing = porthole(ph, "inspect", "cliinspect", "cli-nothing")
    assert missing.returncode == 1 and missing.stderr == "Error: No such object: cli-nothing\n"
    assert len(json.loads(missing.stdout)) == 1
    top = ok(ph, "top", "cliinspect").splitlines()
    assert top[0].split()[:3] == ["UID", "PID", "PPID"] and top[1].split()[-2:] == ["sleep", "60"]


# changing state


def test_stop_start_restart_pause_kill_rm(ph, client):
    detached(ph, "clistate", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done")
    container = client.containers.get("clistate")
    assert ok(ph, "pause", "clistate") == "clistate\n"
    container.reload()
    assert container.status == "paused"
    assert ok(ph, "unpause", "clistate") == "clistate\n"
    assert ok(ph, "stop", "-t", "5", "clistate") == "clistate\n"
    container.reload()
    assert (container.status, container.attrs["State"]["ExitCode"]) == ("exited", 0)
    assert ok(ph, "start", "clistate") == "clistate\n"
    started = container.attrs["State"]["StartedAt"]
    assert ok(ph, "restart", "-t", "1", "clistate") == "clistate\n"
    container.reload()
    assert container.status == "running" and container.attrs["State"]["StartedAt"] != started
    assert ok(ph, "kill", "-s", "TERM", "clistate") == "clistate\n"
    assert ok(ph, "wait", "clistate") == "0\n"
    refused = porthole(ph, "rm", "clistate", "cli-nothing")
    assert refused.returncode == 1 and refused.stdout == "clistate\n"
    assert refused.stderr == "Error response from daemon: No such container: cli-nothing\n"
    assert client.containers.list(all=True) == []


def test_stop_with_a_signal_and_rm_force_with_volumes(ph, client):
    detached(ph, "clisig", "sh", "-c", "trap 'exit 9' USR1; while true; do sleep 0.1; done", flags=("-v", "/data"))
    volume = client.containers.get("clisig").attrs["Mounts"][0]["Name"]
    assert ok(ph, "stop", "-s", "USR1", "clisig") == "clisig\n"
    assert client.containers.get("clisig").attrs["State"]["ExitCode"] == 9
    ok(ph, "start", "clisig")
    removed = porthole(ph, "rm", "-f", "-v", "clisig", "cli-nothing")
    assert (removed.returncode, removed.stdout) == (0, "clisig\n")  # with -f a missing container is no failure
    assert removed.stderr == "Error response from daemon: No such container: cli-nothing\n"
    assert volume not in [v.name for v in client.volumes.list()]


def test_a_daemon_error_is_printed_as_docker_prints_it(ph):
    result = porthole(ph, "stop", "cli-nothing")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "Error response from daemon: No such container: cli-nothing\n"


def test_no_daemon_is_a_clear_error(ph, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "porthole.cli.main", "-H", f"unix://{tmp_path}/none.sock", "ps"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"Cannot connect to the porthole daemon at unix://{tmp_path}/none.sock.")


# logs, stats, events


def test_logs_tail_since_until_and_timestamps(ph):
    # stderr first, a moment apart, so that the last lines of the log are stdout's
    detached(ph, "clilogs", "sh", "-c", "echo oops >&2; sleep 0.3; for i in 1 2 3 4 5; do echo line $i; done; sleep 60")
    wait_for(lambda: "line 5" in porthole(ph, "logs", "clilogs").stdout, what="the container's output")
    everything = porthole(ph, "logs", "clilogs")
    assert everything.stdout == "".join(f"line {i}\n" for i in range(1, 6))
    assert everything.stderr == "oops\n"
    assert porthole(ph, "logs", "--tail", "2", "clilogs").stdout == "line 4\nline 5\n"
    assert porthole(ph, "logs", "--tail", "0", "clilogs").stdout == ""
    assert ok(ph, "logs", "--since", "1m", "clilogs").count("line") == 5
    assert ok(ph, "logs", "--since", "2099-01-01T00:00:00Z", "clilogs") == ""
    assert ok(ph, "logs", "--until", "1h", "clilogs") == ""  # until an hour ago: nothing yet
    stamped = ok(ph, "logs", "-t", "--tail", "1", "clilogs")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 5\n", stamped)
    bad = porthole(ph, "logs", "--since", "yesterday", "clilogs")
    assert bad.returncode == 125 and "argument --since: invalid time 'yesterday'" in bad.stderr


def test_logs_follow_ends_with_the_container(ph):
    detached(ph, "clifollow", "sh", "-c", "echo start; sleep 1; echo end")
    result = porthole(ph, "logs", "-f", "clifollow", timeout=30)
    assert result.stdout == "start\nend\n"


def test_stats_no_stream_table(ph, client):
    cid = detached(ph, "clistats", "sh", "-c", "while true; do :; done", flags=("-m", "64m"))
    table = ok(ph, "stats", "--no-stream", "clistats").splitlines()
    assert re.fullmatch(
        r"CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE / LIMIT\s+MEM %\s+NET I/O\s+BLOCK I/O\s+PIDS", table[0]
    )
    row = re.split(r"\s{3,}", table[1])
    assert row[:2] == [cid[:12], "clistats"]
    cpu, memory, memory_percent, pids = float(row[2].rstrip("%")), row[3], float(row[4].rstrip("%")), int(row[7])
    assert 5.0 < cpu <= 205.0  # one busy loop: up to one CPU of the host's (the machine is shared)
    assert memory.endswith(" / 64MiB")
    assert 0.0 < memory_percent < 100.0
    assert pids >= 1
    everything = ok(ph, "stats", "--no-stream").splitlines()
    assert [line.split()[1] for line in everything[1:]] == ["clistats"]


def test_events_since_until_and_filters(ph, client):
    assert ok(ph, "run", "--name", "clievents", "busybox", "true") == ""
    cid = client.containers.get("clievents").id
    # Past events replayed, then the stream ends a second from now (relative times are whole seconds).
    lines = ok(
        ph,
        "events",
        "--since",
        "1m",
        "--until=-1s",
        "--filter",
        "container=clievents",
        "--filter",
        "event=start",
        "--filter",
        "event=die",
    ).splitlines()
    assert [line.split()[1:4] for line in lines] == [["container", "start", cid], ["container", "die", cid]]
    assert "exitCode=0" in lines[1] and "name=clievents" in lines[0]


def test_version_and_info(ph):
    version = ok(ph, "version")
    assert "Server: porthole" in version and re.search(r"API version:\s+1\.\d+ \(minimum version 1\.24\)", version)
    detached(ph, "cliinfo")
    info = ok(ph, "info")
    assert re.search(r"^  Running:\s+1$", info, re.MULTILINE)
    assert re.search(r"^ Images:\s+\d+$", info, re.MULTILINE)


# volumes and networks


def test_volume_verbs(ph, client):
    assert ok(ph, "volume", "create", "--label", "team=cli", "clivol") == "clivol\n"
    anonymous = ok(ph, "volume", "create").strip()
    assert HEX64.fullmatch(anonymous)
    listing = ok(ph, "volume", "ls").splitlines()
    assert listing[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert {"clivol", anonymous} <= {line.split()[1] for line in listing[1:]}
    assert ok(ph, "volume", "ls", "-q", "--filter", "label=team=cli") == "clivol\n"
    assert json.loads(ok(ph, "volume", "inspect", "clivol"))[0]["Labels"] == {"team": "cli"}
    ok(ph, "run", "--rm", "-v", "clivol:/data", "busybox", "sh", "-c", "echo kept > /data/file")
    assert (
        ok(ph, "run", "--rm", "--mount", "type=volume,source=clivol,target=/d,readonly", "busybox", "cat", "/d/file")
        == "kept\n"
    )
    ok(ph, "run", "--name", "clivolumes", "-v", "/data", "busybox", "true")
    left = client.containers.get("clivolumes").attrs["Mounts"][0]["Name"]
    ok(ph, "rm", "clivolumes")  # without -v: its anonymous volume stays
    ok(ph, "volume", "create", "clivol2")
    assert ok(ph, "volume", "rm", "clivol2") == "clivol2\n"
    pruned = ok(ph, "volume", "prune", "-f").splitlines()
    assert pruned[0] == "Deleted Volumes:"
    assert sorted(pruned[1:3]) == sorted([left, anonymous]) and "clivol" not in pruned  # unnamed ones only
    assert ok(ph, "volume", "prune", "-a", "-f").splitlines()[:2] == ["Deleted Volumes:", "clivol"]
    assert client.volumes.list() == []


def test_network_verbs(ph, client):
    subnet, other = f"10.{ph.octet}.210.0/24", f"10.{ph.octet}.211.0/24"
    net_id = ok(
        ph,
        "network",
        "create",
        "--subnet",
        subnet,
        "--gateway",
        f"10.{ph.octet}.210.1",
        "--ip-range",
        f"10.{ph.octet}.210.128/25",
        "-o",
        f"com.docker.network.bridge.name=phc{ph.tag}",
        "clinet",
    ).strip()
    ok(ph, "network", "create", "--subnet", other, "--internal", "clinet2")
    network = client.networks.get("clinet")
    assert network.id == net_id
    assert network.attrs["IPAM"]["Config"][0] == {
        "Subnet": subnet,
        "Gateway": f"10.{ph.octet}.210.1",
        "IPRange": f"10.{ph.octet}.210.128/25",
    }
    assert client.networks.get("clinet2").attrs["Internal"] is True
    listing = ok(ph, "network", "ls").splitlines()
    assert listing[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    assert f"{net_id[:12]}   clinet " in "\n".join(listing)
    assert ok(ph, "network", "ls", "-q", "--filter", "name=clinet2").strip() == client.networks.get("clinet2").id[:12]
    assert json.loads(ok(ph, "network", "inspect", "clinet"))[0]["Id"] == net_id

    detached(ph, "clinetdb", flags=("--network", "clinet", "--ip", f"10.{ph.octet}.210.20", "--network-alias", "db"))
    assert "1 packets received" in ok(
        ph, "run", "--rm", "--network", "clinet", "busybox", "ping", "-c", "1", "-W", "2", "db"
    )
    ok(ph, "network", "connect", "--ip", f"10.{ph.octet}.211.30", "--alias", "store", "clinet2", "clinetdb")
    networks = client.containers.get("clinetdb").attrs["NetworkSettings"]["Networks"]
    assert networks["clinet"]["IPAddress"] == f"10.{ph.octet}.210.20"
    assert networks["clinet2"]["IPAddress"] == f"10.{ph.octet}.211.30"
    assert "store" in networks["clinet2"]["Aliases"]
    in_use = porthole(ph, "network", "rm", "clinet2")
    assert in_use.returncode == 1 and in_use.stderr.startswith("Error response from daemon: ")
    ok(ph, "network", "disconnect", "clinet2", "clinetdb")
    assert "clinet2" not in client.containers.get("clinetdb").attrs["NetworkSettings"]["Networks"]
    assert ok(ph, "network", "rm", "clinet2") == "clinet2\n"
    assert ok(ph, "network", "rm", "-f", "clinet2") == ""
    ok(ph, "rm", "-f", "clinetdb")
    assert ok(ph, "network", "prune", "-f") == "Deleted Networks:\nclinet\n"
    assert {n.name for n in client.networks.list()} == {"bridge", "host", "none"}
