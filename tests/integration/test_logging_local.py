"""The local driver end to end: `docker logs` with every option on a container logging in Docker's local
format; the file porthole writes decoded with protobuf from moby's entry.proto, and a file written by Debian's
dockerd's local driver on this machine read by porthole's reader."""

import time

import pytest

from logdrivers.driver import ReadConfig
from logdrivers.local.reader import LocalReader
from tests.support.dockerd import dockerd_installed, running_dockerd
from tests.support.localproto import read_records
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


def local_file(daemon_root, cid):
    return daemon_root / "containers" / cid / "local-logs" / "container.log"


def run(ph, *args):
    return ph.docker("run", *args, check=True).stdout.decode().strip()


def test_docker_logs_reads_the_local_format_with_every_option(ph):
    script = "echo one; echo two >&2; sleep 1.2; echo three; echo four >&2"
    cid = run(
        ph,
        "-d",
        "--log-driver",
        "local",
        "--label",
        "team=a",
        "--log-opt",
        "labels=team",
        "busybox",
        "sh",
        "-c",
        script,
    )
    ph.docker("wait", cid, check=True)
    logs = ph.docker("logs", cid, check=True)
    assert (logs.stdout, logs.stderr) == (b"one\nthree\n", b"two\nfour\n")
    assert ph.docker("logs", "--tail", "1", cid, check=True).stderr == b"four\n"
    assert ph.docker("logs", "--tail", "0", cid, check=True).stdout == b""
    stamped = ph.docker("logs", "-t", cid, check=True).stdout.decode().splitlines()
    stamps = [line.split(" ", 1)[0] for line in stamped]
    assert [line.split(" ", 1)[1] for line in stamped] == ["one", "three"]
    assert all(len(s) == 30 and s.endswith("Z") for s in stamps)  # always nine digits, as Docker
    assert ph.docker("logs", "--details", cid, check=True).stdout == b"team=a one\nteam=a three\n"
    # The whole second of "three" (a float unix time loses nanoseconds on the way): 1.2 s after "one".
    third_second = stamps[1][:19] + "Z"
    assert ph.docker("logs", "--since", third_second, cid, check=True).stdout == b"three\n"
    assert ph.docker("logs", "--until", third_second, cid, check=True).stdout == b"one\n"
    entries = list(read_records(local_file(ph.data_root, cid).read_bytes()))
    assert sorted(e.line for e in entries) == [b"four", b"one", b"three", b"two"]
    assert {e.source for e in entries} == {"stdout", "stderr"}
    assert all([(a.key, a.value) for a in e.attrs] == [("team", "a")] for e in entries)
    assert not (ph.data_root / "containers" / cid / f"{cid}-json.log").exists()


def test_follow_rotation_and_compression(ph):
    script = "i=1; while [ $i -le 400 ]; do echo line $i; i=$((i+1)); done; sleep 1; echo last"
    opts = ["--log-opt", "max-size=2k", "--log-opt", "max-file=3", "--log-opt", "compress=true"]
    cid = run(ph, "-d", "--log-driver", "local", *opts, "busybox", "sh", "-c", script)
    followed = ph.docker("logs", "-f", cid, timeout=60, check=True).stdout.splitlines()
    assert followed[-1] == b"last"  # follow ends when the container does
    directory = local_file(ph.data_root, cid).parent
    wait_for(
        lambda: (
            sorted(p.name for p in directory.iterdir()) == ["container.log", "container.log.1.gz", "container.log.2.gz"]
        ),
        10,
        what="two compressed rotations",
    )
    kept = ph.docker("logs", cid, check=True).stdout.splitlines()
    assert kept[-1] == b"last" and len(kept) < 401  # what rotation kept, from the oldest file on, in order
    numbers = [int(line.split()[1]) for line in kept[:-1]]
    assert numbers == list(range(numbers[0], 401))


def test_bad_options_are_refused_at_create(ph):
    result = ph.docker("create", "--log-driver", "local", "--log-opt", "max-file=1", "busybox", "true")
    assert result.returncode != 0
    assert "compression cannot be enabled when max file count is 1" in result.stderr.decode()
    result = ph.docker("create", "--log-driver", "local", "--log-opt", "labelz=x", "busybox", "true")
    assert "unknown log opt 'labelz' for log driver local" in result.stderr.decode()
    assert ph.docker("ps", "-aq").stdout == b""


@pytest.mark.skipif(not dockerd_installed(), reason="Debian's docker.io is not installed (scripts/install.sh)")
def test_porthole_reads_a_file_written_by_dockers_local_driver(busybox_rootfs, tmp_path):
    script = "echo hello local; echo oops >&2; head -c 20000 /dev/zero | tr '\\0' x; echo"
    with running_dockerd(tmp_path / "dockerd", busybox_rootfs) as dockerd:
        cid = dockerd.docker(
            "run", "-d", "--network", "none", "--log-driver", "local", "busybox", "sh", "-c", script, check=True,
        ).stdout.decode().strip()  # fmt: skip
        dockerd.docker("wait", cid, check=True)
        path = local_file(tmp_path / "dockerd" / "data", cid)
        ours = list(LocalReader(path).read_logs(ReadConfig(), lambda: False))
        theirs = list(read_records(path.read_bytes()))
    assert [(m.line, m.source, m.timestamp_ns) for m in ours] == [(e.line, e.source, e.time_nano) for e in theirs]
    by_source = {}
    for m in ours:
        by_source.setdefault(m.source, []).append(m)
    assert [m.line for m in by_source["stderr"]] == [b"oops"]
    stdout = by_source["stdout"]
    assert stdout[0].line == b"hello local" and b"".join(m.printed() for m in stdout[1:]) == b"x" * 20000 + b"\n"
    assert [m.partial.ordinal for m in stdout[1:]] == [1, 2] and stdout[-1].partial.last
    assert abs(ours[0].timestamp_ns / 1e9 - time.time()) < 600


def test_docker_info_lists_every_log_driver(ph):
    listed = ph.docker("info", "--format", "{{json .Plugins.Log}}", check=True).stdout.decode()
    for driver in ("json-file", "local", "fluentd", "gelf", "syslog", "journald", "elasticsearch"):
        assert f'"{driver}"' in listed
    assert '"none"' not in listed  # as dockerd's: "none" is no driver in moby's registry
