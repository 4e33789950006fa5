"""The journald driver end to end: Debian's systemd-journald, started here without systemd as PID 1 (in a mount
and PID namespace of its own, tests.support.journald), receives from porthole's daemon; entries are read back
with `journalctl --directory` and the CONTAINER_NAME= match. Debian's dockerd, in a mount namespace that shows
it the same journal socket, logs the same container to the same journald, and the fields are compared. Then a
journald outage and a daemon killed with SIGKILL."""

import signal

import pytest

from tests.support.daemon import TestDaemon, running
from tests.support.dockerd import dockerd_installed, running_dockerd
from tests.support.journald import Journald, journald_installed
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not journald_installed(), reason="systemd-journald is not installed (scripts/install.sh)"),
]
# Fields journald adds (trusted, addresses, cursors) or that differ per daemon by design.
JOURNAL_OWN = {"__CURSOR", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID", "_MACHINE_ID", "_HOSTNAME"}
PER_RUN = {"_SOURCE_REALTIME_TIMESTAMP", "_TRANSPORT", "_RUNTIME_SCOPE", "_PID", "_UID", "_GID", "_COMM", "_EXE"}
PER_RUN |= {
    "_CMDLINE",
    "_CAP_EFFECTIVE",
    "_SYSTEMD_CGROUP",
    "_SYSTEMD_UNIT",
    "_SYSTEMD_SLICE",
    "_SYSTEMD_INVOCATION_ID",
}
PER_RUN |= {"CONTAINER_ID", "CONTAINER_ID_FULL", "_SELINUX_CONTEXT"}
# moby's driver added these after 20.10 (Debian's dockerd here): sent by porthole as current Docker sends them.
SINCE_20_10 = {"CONTAINER_LOG_EPOCH", "CONTAINER_LOG_ORDINAL", "SYSLOG_TIMESTAMP"}


@pytest.fixture(scope="module")
def journald(tmp_path_factory):
    server = Journald(tmp_path_factory.mktemp("journald"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs, journald):
    """The module's porthole daemon, shipping journald entries to the test's journald."""
    test_daemon = TestDaemon(
        tmp_path_factory.mktemp("porthole"), env={"PORTHOLE_JOURNALD_SOCKET": str(journald.socket)}
    )
    with running(test_daemon, busybox_rootfs) as d:
        yield d


@pytest.fixture
def journal(journald):
    """The module's journald, running again after a test that stopped it."""
    yield journald
    if journald.process is None:
        journald.start()


def messages(journald, name):
    return [e["MESSAGE"] for e in journald.entries(f"CONTAINER_NAME={name}")]


def test_journalctl_finds_the_containers_entries_with_dockers_fields(ph, journald):
    ph.docker(
        "run", "--name", "web", "--label", "com.example.team=a", "-e", "MODE=x", "--log-driver", "journald",
        "--log-opt", "labels=com.example.team", "--log-opt", "env=MODE", "--log-opt", "tag={{.ImageName}}/{{.Name}}",
        "busybox", "sh", "-c", "echo hello journal; echo oops >&2", check=True,
    )  # fmt: skip
    wait_for(lambda: len(journald.entries("CONTAINER_NAME=web")) == 2, 20, what="two entries")
    cid = ph.client().api.inspect_container("web")["Id"]
    out, err = sorted(journald.entries("CONTAINER_NAME=web"), key=lambda e: e["PRIORITY"], reverse=True)
    assert (out["MESSAGE"], out["PRIORITY"], err["MESSAGE"], err["PRIORITY"]) == ("hello journal", "6", "oops", "3")
    assert (out["CONTAINER_ID"], out["CONTAINER_ID_FULL"], out["IMAGE_NAME"]) == (cid[:12], cid, "busybox")
    assert out["CONTAINER_TAG"] == out["SYSLOG_IDENTIFIER"] == "busybox/web"
    assert (out["COM_EXAMPLE_TEAM"], out["MODE"]) == ("a", "x")
    assert {out["CONTAINER_LOG_ORDINAL"], err["CONTAINER_LOG_ORDINAL"]} == {"1", "2"}
    assert out["_TRANSPORT"] == "journal" and out["SYSLOG_TIMESTAMP"].endswith("Z")
    logs = ph.docker("logs", "web", check=True)
    assert (logs.stdout, logs.stderr) == (b"hello journal\n", b"oops\n")  # from the local cache


def test_a_long_line_arrives_in_pieces_and_a_huge_label_through_a_memfd(ph, journald):
    script = "head -c 40000 /dev/zero | tr '\\0' 'a'; echo"
    labels = [arg for n in range(3) for arg in ("--label", f"big{n}={'v' * 100_000}")]  # one argument < 128 KiB
    ph.docker(
        "run", "--name", "long", *labels, "--log-driver", "journald",
        "--log-opt", "labels=big0,big1,big2", "busybox", "sh", "-c", script, check=True,
    )  # fmt: skip
    wait_for(lambda: len(journald.entries("CONTAINER_NAME=long")) == 3, 20, what="three pieces")
    pieces = journald.entries("CONTAINER_NAME=long")
    assert "".join(p["MESSAGE"] for p in pieces) == "a" * 40000
    assert [p["CONTAINER_PARTIAL_ORDINAL"] for p in pieces] == ["1", "2", "3"]
    assert [p["CONTAINER_PARTIAL_LAST"] for p in pieces] == ["false", "false", "true"]
    assert [p.get("CONTAINER_PARTIAL_MESSAGE") for p in pieces] == ["true", "true", None]
    assert {p["BIG2"] for p in pieces} == {"v" * 100_000}  # each entry is over 300 KB: sent as a memfd


def test_an_outage_of_journald_delays_entries_but_loses_none(ph, journal):
    journal.stop()
    ph.docker("run", "--name", "outage", "--log-driver", "journald", "busybox", "seq", "1", "500", check=True)
    journal.start()
    wait_for(lambda: len(set(messages(journal, "outage"))) == 500, 30, what="500 entries after the outage")
    got = messages(journal, "outage")
    assert sorted(set(got), key=got.index) == [str(i) for i in range(1, 501)]


def test_daemon_killed_while_shipping_resends_from_its_saved_position(ph, journald):
    count = 20000
    script = f"i=1; while [ $i -le {count} ]; do echo $i; [ $((i % 1000)) = 0 ] && sleep 0.1; i=$((i+1)); done"
    cid = ph.docker(
        "run", "-d", "--name", "killed", "--log-driver", "journald", "busybox", "sh", "-c", script, check=True
    )
    wait_for(lambda: len(messages(journald, "killed")) >= 500, 30, what="shipping under way")
    ph.kill(signal.SIGKILL)
    ph.start()
    wait_for(lambda: len(set(messages(journald, "killed"))) >= count, 60, what="every entry after the restart")
    ph.docker("wait", cid.stdout.decode().strip(), check=True)
    got = messages(journald, "killed")
    assert sorted(set(got), key=got.index) == [str(i) for i in range(1, count + 1)]
    assert len(got) - count <= 2048


@pytest.mark.skipif(not dockerd_installed(), reason="Debian's docker.io is not installed (scripts/install.sh)")
def test_the_journal_gets_from_porthole_what_it_gets_from_dockers_driver(ph, journald, busybox_rootfs, tmp_path):
    run = ["run", "--name", "same", "--label", "tier=front", "--log-driver", "journald", "--log-opt", "labels=tier"]
    run += ["--log-opt", "tag={{.Name}}", "busybox", "sh", "-c", "echo one; echo two >&2"]
    with running_dockerd(tmp_path / "dockerd", busybox_rootfs, journal_dir=journald.socket.parent) as dockerd:
        dockerd.docker(*run[:1], "--network", "none", *run[1:], check=True)
    ph.docker(*run, check=True)
    wait_for(lambda: len(journald.entries("CONTAINER_NAME=same")) == 4, 30, what="two entries from each daemon")
    entries = journald.entries("CONTAINER_NAME=same")
    porthole_id = ph.client().api.inspect_container("same")["Id"]
    ours = [e for e in entries if e["CONTAINER_ID_FULL"] == porthole_id]
    theirs = [e for e in entries if e["CONTAINER_ID_FULL"] != porthole_id]

    def kept(entry):
        return {k: v for k, v in entry.items() if k not in JOURNAL_OWN | PER_RUN | SINCE_20_10}

    assert all(SINCE_20_10 <= set(e) for e in ours)

    key = lambda e: e["PRIORITY"]  # noqa: E731
    assert [kept(e) for e in sorted(ours, key=key)] == [kept(e) for e in sorted(theirs, key=key)]


def test_unknown_options_are_refused_at_create(ph):
    result = ph.docker("create", "--log-driver", "journald", "--log-opt", "journald-path=/x", "busybox", "true")
    assert result.returncode != 0
    assert "unknown log opt 'journald-path' for journald log driver" in result.stderr.decode()
    assert ph.docker("ps", "-aq").stdout == b""
