"""Remote log drivers end to end: the real docker CLI runs containers logging to fluentd and gelf collectors
on 127.0.0.1 (spec-written decoders), through collector outages and a daemon killed with SIGKILL."""

import json
import os
import signal
import time

import pytest

from tests.support.collectors import ForwardServer, GelfTcpServer, GelfUdpServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root
OUTAGE_S = float(os.environ.get("PORTHOLE_TEST_OUTAGE_S", "3"))  # the 30 s, shortened for CI


@pytest.fixture
def fluentd():
    server = ForwardServer()
    yield server
    server.stop()


def fluentd_opts(server, *extra):
    opts = [
        "--log-driver",
        "fluentd",
        "--log-opt",
        f"fluentd-address=127.0.0.1:{server.port}",
        "--log-opt",
        "fluentd-retry-wait=100ms",
    ]
    for item in extra:
        opts += ["--log-opt", item]
    return opts


def run(ph, *args):
    return ph.docker("run", *args, check=True).stdout.decode().strip()


def test_fluentd_gets_dockers_record_and_logs_read_the_local_cache(ph, fluentd):
    cid = run(
        ph,
        "-d",
        "--name",
        "web",
        "--label",
        "tier=front",
        *fluentd_opts(fluentd, "labels=tier", "tag=docker.{{.Name}}"),
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    )
    wait_for(lambda: len(fluentd.events) == 2, 20, what="two records at the collector")
    records = sorted((e.record for e in fluentd.events), key=lambda r: r["source"])
    assert records == [
        {"container_id": cid.encode(), "container_name": b"/web", "source": b"stderr", "log": b"err", "tier": b"front"},
        {"container_id": cid.encode(), "container_name": b"/web", "source": b"stdout", "log": b"out", "tier": b"front"},
    ]
    assert {e.tag for e in fluentd.events} == {"docker.web"}
    assert all(abs(e.time - time.time()) < 60 for e in fluentd.events)
    ph.docker("wait", cid, check=True)
    logs = ph.docker("logs", cid, check=True)
    assert (logs.stdout, logs.stderr) == (b"out\n", b"err\n")


def test_gelf_udp_and_tcp_get_dockers_fields(ph):
    udp, tcp = GelfUdpServer(), GelfTcpServer()
    try:
        for server, scheme in ((udp, "udp"), (tcp, "tcp")):
            cid = run(
                ph,
                "-d",
                "--log-driver",
                "gelf",
                "--log-opt",
                f"gelf-address={scheme}://127.0.0.1:{server.port}",
                "busybox",
                "sh",
                "-c",
                "echo hello gelf; echo; echo oops >&2",
            )
            wait_for(lambda s=server: len(s.messages) == 2, 20, what=f"two GELF messages over {scheme}")
            out, err = sorted(server.messages, key=lambda m: m["level"], reverse=True)
            inspect = ph.client().api.inspect_container(cid)
            assert out["short_message"] == "hello gelf" and out["level"] == 6  # the empty line is skipped
            assert err["short_message"] == "oops" and err["level"] == 3
            assert out["_container_id"] == cid and out["_container_name"] == inspect["Name"].lstrip("/")
            assert out["_image_name"] == "busybox" and out["_image_id"] == inspect["Image"]
            assert out["_command"] == "sh -c echo hello gelf; echo; echo oops >&2"
            assert out["_tag"] == cid[:12] and out["_created"] == inspect["Created"]
            assert out["version"] == "1.1" and abs(out["timestamp"] - time.time()) < 60
    finally:
        udp.stop()
        tcp.stop()


@pytest.mark.parametrize(
    ("opts", "text"),
    [
        (["--log-driver", "fluentd", "--log-opt", "fluentd-address=udp://x:1"], "unsupported scheme: 'udp'"),
        (["--log-driver", "fluentd", "--log-opt", "fluentd-retry-wait=soon"], 'time: invalid duration "soon"'),
        (["--log-driver", "gelf"], "gelf-address is a required parameter"),
        (
            ["--log-driver", "gelf", "--log-opt", "gelf-address=tcp://h:1", "--log-opt", "gelf-compression-type=gzip"],
            "compression is only supported on UDP",
        ),
        (["--log-driver", "fluentd", "--log-opt", "cache-max-size=big"], "log opt 'cache-max-size' for fluentd"),
        (["--log-driver", "fluentd", "--log-opt", "cache-disabled=true"], "cache cannot be disabled"),
        (["--log-driver", "splunk"], "no log driver named 'splunk' is registered"),
    ],
)
def test_bad_driver_options_are_refused_at_create(ph, opts, text):
    result = ph.docker("create", *opts, "busybox", "true")
    assert result.returncode != 0
    assert text in result.stderr.decode()
    assert ph.docker("ps", "-aq").stdout == b""  # nothing half-created


def test_an_unreachable_collector_neither_fails_nor_blocks_the_container(ph, fluentd):
    fluentd.stop()  # nothing listens on its port
    started = time.monotonic()
    result = ph.docker("run", "--name", "quick", *fluentd_opts(fluentd), "busybox", "sh", "-c", "seq 1 2000")
    assert result.returncode == 0 and time.monotonic() - started < 30
    assert ph.docker("logs", "quick", check=True).stdout == b"".join(b"%d\n" % i for i in range(1, 2001))


def test_an_outage_delays_lines_but_loses_none(ph, fluentd):
    script = "i=1; while [ $i -le 300 ]; do echo line $i; i=$((i+1)); sleep 0.01; done; echo done > /tmp/x"
    # With acknowledgements: without them, a batch the collector's kernel took but the collector had not read
    # when it went down is lost (README, delivery guarantees): this test failed once in about a dozen runs.
    cid = run(ph, "-d", *fluentd_opts(fluentd, "fluentd-request-ack=true"), "busybox", "sh", "-c", script)
    wait_for(lambda: len(fluentd.events) >= 20, 20, what="the first lines")
    fluentd.stop()
    down_at = time.monotonic()
    ph.docker("wait", cid, check=True)  # the container finished its work while the collector was down
    assert time.monotonic() - down_at < 20
    time.sleep(max(OUTAGE_S - (time.monotonic() - down_at), 0))
    fluentd.start()
    expected = [b"line %d" % i for i in range(1, 301)]
    wait_for(lambda: set(fluentd.logs()) >= set(expected), 30, what="every line after the outage")
    logs = fluentd.logs()
    assert sorted(set(logs), key=logs.index) == expected  # in order (a batch cut by the outage may repeat)


def test_daemon_killed_while_shipping_resends_from_its_saved_position(ph, fluentd):
    count = 20000
    cid = run(
        ph,
        "-d",
        *fluentd_opts(fluentd),
        "busybox",
        "sh",
        "-c",
        f"i=1; while [ $i -le {count} ]; do echo line $i; [ $((i % 1000)) = 0 ] && sleep 0.1; i=$((i+1)); done",
    )
    wait_for(lambda: len(fluentd.events) >= 500, 30, what="shipping under way")
    ph.kill(signal.SIGKILL)
    killed_with = len(fluentd.events)
    ph.start()
    expected = [b"line %d" % i for i in range(1, count + 1)]
    wait_for(lambda: len(set(fluentd.logs())) >= count, 60, what="every line after the restart")
    ph.docker("wait", cid, check=True)
    logs = fluentd.logs()
    assert sorted(set(logs), key=logs.index) == expected
    duplicates = len(logs) - count
    assert killed_with < count  # the daemon died mid-way
    assert 0 <= duplicates <= 2048  # at most the one batch in flight when it died


def test_a_1mib_line_without_newline_and_binary_output(ph, fluentd):
    script = "head -c 1048576 /dev/zero | tr '\\0' 'a'; printf '\\000\\377\\376bin\\n' >&2"
    cid = run(ph, "-d", *fluentd_opts(fluentd), "busybox", "sh", "-c", script)
    ph.docker("wait", cid, check=True)
    wait_for(lambda: len(fluentd.events) >= 65, 30, what="64 pieces of the long line and the binary line")
    pieces = [e.record for e in fluentd.events if e.record["source"] == b"stdout"]
    assert b"".join(p["log"] for p in pieces) == b"a" * 1048576
    assert [p["partial_ordinal"] for p in pieces] == [str(i).encode() for i in range(1, 65)]
    assert {p["partial_id"] for p in pieces} == {pieces[0]["partial_id"]}
    assert {p["partial_last"] for p in pieces} == {b"false"}  # the line never ended
    (binary,) = [e.record for e in fluentd.events if e.record["source"] == b"stderr"]
    # Shipped from the json-file cache, which stores invalid UTF-8 as U+FFFD (as Docker's json-file does).
    assert binary["log"] == b"\0\xef\xbf\xbd\xef\xbf\xbdbin" and "partial_message" not in binary
    logs = ph.docker("logs", cid, check=True)
    assert logs.stdout == b"a" * 1048576  # no newline added
    assert logs.stderr == b"\0\xef\xbf\xbd\xef\xbf\xbdbin\n"  # json-file keeps U+FFFD, as Docker's does


def test_non_blocking_drops_are_counted_in_the_containers_drop_file(ph):
    total = 200_000
    cid = run(
        ph, "-d", "--log-opt", "mode=non-blocking", "--log-opt", "max-buffer-size=4k", "busybox", "seq", "1", str(total)
    )
    ph.docker("wait", cid, check=True)
    kept = ph.docker("logs", cid, check=True).stdout.count(b"\n")
    drops_file = ph.data_root / "containers" / cid / "log-drops.json"
    dropped = json.loads(drops_file.read_text())["lines"] if drops_file.exists() else 0
    assert kept + dropped == total, (kept, dropped)  # every line is either in the log or counted as dropped
