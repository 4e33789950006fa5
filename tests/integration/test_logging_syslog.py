"""The syslog driver end to end: the real docker CLI runs containers logging to Debian's rsyslogd (started
here on private ports and sockets) over UDP, TCP, TLS with the test's own CA, and unix datagram and stream
sockets; rsyslog writes every field it parsed and the raw message. The same containers run under Debian's
dockerd in the same test, and what rsyslog wrote for Docker's driver is compared field by field with what it
wrote for porthole's. Then collector outages and a daemon killed with SIGKILL."""

import os
import re
import signal
import time

import pytest

from tests.support.dockerd import dockerd_installed, running_dockerd
from tests.support.rsyslog import Rsyslog
from tests.support.tlsca import make_ca
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root
OUTAGE_S = float(os.environ.get("PORTHOLE_TEST_OUTAGE_S", "3"))
# rfc5424micro: current moby writes six digits always; Debian's dockerd (20.10) trims trailing zeros, so a
# fraction of 1-6 digits is one shape here (tests/unit/logdrivers/test_syslog_encode.py pins the six digits).
TIME_SHAPES = (
    re.compile(rb"[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d"),
    re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)"),
)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def rsyslog(tmp_path_factory, ca):
    server = Rsyslog(tmp_path_factory.mktemp("rsyslog"), ca)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def collector(rsyslog):
    """The module's rsyslogd, running again after a test that stopped it."""
    yield rsyslog
    if rsyslog.process is None:
        rsyslog.start()


def address(rsyslog, transport: str) -> str:
    return {
        "udp": f"udp://127.0.0.1:{rsyslog.udp_port}",
        "tcp": f"tcp://127.0.0.1:{rsyslog.tcp_port}",
        "tcp+tls": f"tcp+tls://127.0.0.1:{rsyslog.tls_port}",
        "unixgram": f"unixgram://{rsyslog.dgram_socket}",
        "unix": f"unix://{rsyslog.stream_socket}",
    }[transport]


def syslog_opts(rsyslog, ca, transport: str, *extra: str) -> list[str]:
    opts = ["--log-driver", "syslog", "--log-opt", f"syslog-address={address(rsyslog, transport)}"]
    if transport == "tcp+tls":
        opts += ["--log-opt", f"syslog-tls-ca-cert={ca.ca_cert}"]
    for item in extra:
        opts += ["--log-opt", item]
    return opts


def received(rsyslog, tag: str) -> list[dict]:
    """What rsyslog wrote for one container (its tag is the container's name)."""
    return [m for m in rsyslog.messages() if m["appname"] == tag or m["syslogtag"].startswith(tag + "[")]


CASES = [
    ("udp", "rfc5424", "local3"),
    ("tcp", "rfc3164", ""),
    ("tcp", "", "2"),
    ("tcp+tls", "rfc5424micro", "local7"),
    ("tcp+tls", "rfc5424", ""),
    ("unixgram", "", "user"),
    ("unix", "rfc5424", ""),
]


def normalized(message: dict, pid: int) -> dict:
    """A record with the daemon's pid and the times (which differ by run) masked; the times' shapes are kept."""
    out = {}
    for key, value in message.items():
        data = value.encode().replace(str(pid).encode(), b"PID")
        for shape in TIME_SHAPES:
            data = shape.sub(lambda m: b"TIME" + (b"u" if b"." in m[0] else b""), data)
        out[key] = data.decode()
    return out


@pytest.mark.skipif(not dockerd_installed(), reason="Debian's docker.io is not installed (scripts/install.sh)")
def test_rsyslog_gets_from_porthole_what_it_gets_from_dockers_driver(ph, rsyslog, ca, busybox_rootfs, tmp_path):
    script = "echo hello syslog; echo; echo 'tab\there'; echo oops >&2"
    with running_dockerd(tmp_path / "dockerd", busybox_rootfs) as dockerd:
        docker_pid = int((dockerd.root / "dockerd.pid").read_text())
        for index, (transport, format_, facility) in enumerate(CASES):
            name = f"syslog-cmp-{index}"
            extra = ["tag={{.Name}}", "labels=tier", "env=MODE"]
            extra += [f"syslog-format={format_}"] * bool(format_) + [f"syslog-facility={facility}"] * bool(facility)
            run = ["run", "--name", name, "--label", "tier=front", "-e", "MODE=x"]
            args = [*syslog_opts(rsyslog, ca, transport, *extra), "busybox", "sh", "-c", script]
            dockerd.docker(*run, "--network", "none", *args, check=True)
            ph.docker(*run, *args, check=True)
            wait_for(lambda n=name: len(received(rsyslog, n)) == 6, 20, what=f"three lines from each daemon ({name})")
            ours = [m for m in received(rsyslog, name) if m["raw"].find(f"{ph.process.pid}") > 0]
            theirs = [m for m in received(rsyslog, name) if m["raw"].find(f"{docker_pid}") > 0]
            assert len(ours) == len(theirs) == 3, (transport, format_, ours, theirs)
            key = lambda m: (m["severity"], m["msg"])  # noqa: E731 - stdout and stderr are not ordered
            ours_normalized = sorted((normalized(m, ph.process.pid) for m in ours), key=key)
            theirs_normalized = sorted((normalized(m, docker_pid) for m in theirs), key=key)
            assert ours_normalized == theirs_normalized, (transport, format_)
            assert [m["msg"].strip() for m in ours_normalized] == ["oops", "hello syslog", "tab#011here"]


@pytest.mark.parametrize("transport", ["udp", "tcp", "tcp+tls", "unixgram", "unix"])
def test_every_transport_delivers_every_field(ph, rsyslog, ca, transport):
    name = f"fields-{transport.replace('+', '-')}"
    opts = syslog_opts(rsyslog, ca, transport, "tag={{.Name}}", "syslog-format=rfc5424micro", "syslog-facility=local2")
    ph.docker("run", "--name", name, *opts, "busybox", "sh", "-c", "echo out; echo err >&2", check=True)
    wait_for(lambda: len(received(rsyslog, name)) == 2, 20, what=f"two messages over {transport}")
    out, err = sorted(received(rsyslog, name), key=lambda m: m["severity"], reverse=True)
    pid = str(ph.process.pid)
    assert (out["facility"], out["severity"], out["pri"], out["msg"]) == ("local2", "info", "150", "out")
    assert (err["facility"], err["severity"], err["pri"], err["msg"]) == ("local2", "err", "147", "err")
    assert (out["appname"], out["procid"], out["msgid"], out["structured_data"]) == (name, pid, name, "-")
    assert abs(time.time() - time.mktime(time.strptime(out["timereported"][:19], "%Y-%m-%dT%H:%M:%S"))) < 120 * 60
    assert out["raw"].endswith(f" {name} {pid} {name} - out")
    ph.docker("wait", name, check=True)
    logs = ph.docker("logs", name, check=True)
    assert (logs.stdout, logs.stderr) == (b"out\n", b"err\n")  # read from the local cache


@pytest.mark.parametrize("transport", ["tcp", "tcp+tls"])
def test_an_outage_delays_lines_but_loses_none(ph, collector, ca, transport):
    # The collector goes away in a quiet moment: plain syslog over TCP has no acknowledgement, so lines a
    # collector's kernel took but the collector never read are lost when it dies (the README says so, as Docker's
    # driver does); what the outage must not lose is every line written while the collector is away.
    name = f"outage-{transport.replace('+', '-')}"
    script = "i=1; while [ $i -le 300 ]; do echo line $i; [ $i = 20 ] && sleep 3; i=$((i+1)); sleep 0.01; done"
    opts = syslog_opts(collector, ca, transport, "tag={{.Name}}", "syslog-format=rfc5424")
    cid = ph.docker("run", "-d", "--name", name, *opts, "busybox", "sh", "-c", script, check=True).stdout.decode()
    wait_for(lambda: len(received(collector, name)) >= 20, 20, what="the first lines")
    collector.stop()
    down_at = time.monotonic()
    ph.docker("wait", cid.strip(), check=True)  # the container finished while the collector was down
    assert time.monotonic() - down_at < 20
    time.sleep(max(OUTAGE_S - (time.monotonic() - down_at), 0))
    collector.start()
    expected = [f"line {i}" for i in range(1, 301)]
    wait_for(lambda: {m["msg"] for m in received(collector, name)} >= set(expected), 30, what="every line")
    lines = [m["msg"] for m in received(collector, name)]
    assert sorted(set(lines), key=lines.index) == expected  # in order; a batch cut by the outage may repeat


def test_daemon_killed_while_shipping_resends_from_its_saved_position(ph, rsyslog, ca):
    count, name = 20000, "killed-daemon"
    script = f"i=1; while [ $i -le {count} ]; do echo line $i; [ $((i % 1000)) = 0 ] && sleep 0.1; i=$((i+1)); done"
    opts = syslog_opts(rsyslog, ca, "tcp", "tag={{.Name}}", "syslog-format=rfc5424")
    cid = ph.docker("run", "-d", "--name", name, *opts, "busybox", "sh", "-c", script, check=True).stdout.decode()
    wait_for(lambda: len(received(rsyslog, name)) >= 500, 30, what="shipping under way")
    ph.kill(signal.SIGKILL)
    killed_with = len(received(rsyslog, name))
    ph.start()
    expected = [f"line {i}" for i in range(1, count + 1)]
    wait_for(lambda: len({m["msg"] for m in received(rsyslog, name)}) >= count, 60, what="every line")
    ph.docker("wait", cid.strip(), check=True)
    lines = [m["msg"] for m in received(rsyslog, name)]
    assert sorted(set(lines), key=lines.index) == expected
    assert killed_with < count  # the daemon died mid-way
    assert 0 <= len(lines) - count <= 2048  # at most the batch in flight when it died


def test_udp_to_a_stopped_local_collector_waits_instead_of_losing(ph, collector, ca):
    """Over UDP nothing acknowledges a datagram; on loopback the kernel reports the closed port (ECONNREFUSED),
    so the shipper waits and sends again. To a remote collector, datagrams sent while it is down are lost."""
    name = "udp-outage"
    collector.stop()
    opts = syslog_opts(collector, ca, "udp", "tag={{.Name}}", "syslog-format=rfc5424")
    ph.docker("run", "--name", name, *opts, "busybox", "sh", "-c", "seq 1 50", check=True)
    collector.start()
    wait_for(lambda: {m["msg"] for m in received(collector, name)} >= {str(i) for i in range(1, 51)}, 30, what="50")


@pytest.mark.parametrize(
    ("opts", "text"),
    [
        (["--log-opt", "syslog-address=http://x:1"], "unsupported scheme: 'http'"),
        (["--log-opt", "syslog-facility=mailer"], "invalid syslog facility"),
        (["--log-opt", "syslog-format=json"], "invalid syslog format"),
        (["--log-opt", "syslog-address=unix:///no/such.sock"], "stat /no/such.sock: no such file or directory"),
        (["--log-opt", "syslog-port=514"], "unknown log opt 'syslog-port' for syslog log driver"),
    ],
)
def test_bad_options_are_refused_at_create(ph, opts, text):
    result = ph.docker("create", "--log-driver", "syslog", *opts, "busybox", "true")
    assert result.returncode != 0 and text in result.stderr.decode()
    assert ph.docker("ps", "-aq").stdout == b""
