"""The exporter against real containers: its numbers are the kernel's, its series follow the containers,
and `promtool check metrics` finds nothing to say about /metrics (the standalone exporter's and the
daemon's with --exporter)."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.exporter import (
    exporter_process,
    get,
    metrics_daemon,
    scrape,
    scrape_until,
    value,
    values,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    with metrics_daemon(tmp_path_factory.mktemp("porthole"), busybox_rootfs) as d:
        yield d


@pytest.fixture(scope="module")
def exporter(daemon):
    with exporter_process(daemon.host, daemon.root / "exporter.log", "--fs-interval", "1") as port:
        yield port


def run(ph, *args: str) -> str:
    return ph.docker("run", "-d", *args, check=True).stdout.decode().strip()


def series_of(port: int, name: str, metric: str = "container_memory_usage_bytes"):
    """Wait until the exporter exports `name`, then return that scrape."""
    return scrape_until(port, lambda s: value(s, metric, name=name) is not None, what=f"{metric} of {name}")


def test_memory_usage_is_the_cgroups_own_file(ph, exporter):
    run(ph, "--name", "sleeper", "busybox", "sleep", "1000")
    samples = series_of(exporter, "sleeper")
    usage_file = MEMORY_ROOT / value_id(samples, "sleeper").lstrip("/") / "memory.usage_in_bytes"

    def agree():
        before = int(usage_file.read_text())
        exported = value(scrape(exporter), "container_memory_usage_bytes", name="sleeper")
        return before == exported == int(usage_file.read_text())

    wait_for(agree, timeout=10, what="memory usage equal to memory.usage_in_bytes")


def value_id(samples, name: str) -> str:
    return next(lab["id"] for n, lab, _ in samples if n == "container_memory_usage_bytes" and lab["name"] == name)


def test_a_busy_loop_of_n_cpu_seconds_adds_n_seconds(ph, exporter):
    n = 2
    # The loop stops when its own CPU time (/proc/self/stat utime + stime) reaches n seconds, so the test
    # holds on a loaded machine too; the exporter's figure comes from cpuacct, a different account.
    loop = (
        f"while :; do read -r s < /proc/self/stat; set -- $s; "
        f"[ $(( ${{14}} + ${{15}} )) -ge {n * TICKS_PER_SECOND} ] && break; done; echo done; sleep 1000"
    )
    run(ph, "--name", "busy", "busybox", "sh", "-c", loop)
    wait_for(lambda: b"done" in ph.docker("logs", "busy").stdout, timeout=60, what="the busy loop's end")
    samples = scrape(exporter)
    usage = sum(values(samples, "container_cpu_usage_seconds_total", name="busy"))
    assert usage == pytest.approx(n, rel=0.1)
    split = value(samples, "container_cpu_user_seconds_total", name="busy") + value(
        samples, "container_cpu_system_seconds_total", name="busy"
    )
    assert split == pytest.approx(n, rel=0.1)


def test_bytes_sent_between_two_containers_show_in_both(ph, client, exporter):
    size = 2_000_000
    serve = f"mkdir /www && head -c {size} /dev/zero > /www/blob && httpd -f -p 8080 -h /www"
    run(ph, "--name", "server", "busybox", "sh", "-c", serve)
    address = wait_for(
        lambda: client.containers.get("server").attrs["NetworkSettings"]["IPAddress"], what="the server's address"
    )
    fetch = f"until wget -q -O /dev/null http://{address}:8080/blob; do sleep 0.1; done; sleep 1000"
    run(ph, "--name", "fetcher", "busybox", "sh", "-c", fetch)

    def fetched(s):
        return (value(s, "container_network_receive_bytes_total", name="fetcher", interface="eth0") or 0) >= size

    samples = scrape_until(exporter, fetched, f"{size} bytes received", timeout=20)
    received = value(samples, "container_network_receive_bytes_total", name="fetcher", interface="eth0")
    sent = value(samples, "container_network_transmit_bytes_total", name="server", interface="eth0")
    # the file plus HTTP, TCP, IP and Ethernet headers
    assert size <= received < size * 1.1
    assert size <= sent < size * 1.1
    assert values(samples, "container_network_receive_bytes_total", name="fetcher", interface="lo") == []


def test_limits_appear_in_the_spec_metrics(ph, exporter):
    run(ph, "--name", "limited", "-m", "48m", "--cpus", "0.5", "busybox", "sleep", "1000")
    run(ph, "--name", "unlimited", "busybox", "sleep", "1000")
    series_of(exporter, "unlimited")
    samples = series_of(exporter, "limited")
    assert value(samples, "container_spec_memory_limit_bytes", name="limited") == 48 * 1024 * 1024
    assert value(samples, "container_spec_memory_limit_bytes", name="unlimited") == 0  # as cAdvisor
    assert value(samples, "container_spec_cpu_quota", name="limited") == 50000
    assert value(samples, "container_spec_cpu_period", name="limited") == 100000
    assert value(samples, "container_spec_cpu_quota", name="unlimited") is None
    # cfs series only where a quota is set, as cAdvisor
    assert value(samples, "container_cpu_cfs_periods_total", name="limited") is not None
    assert value(samples, "container_cpu_cfs_periods_total", name="unlimited") is None


def test_labels_and_the_removed_containers_series(ph, exporter):
    cid = run(ph, "--name", "labelled", "-l", "com.example.team=web", "busybox", "sleep", "1000")
    run(ph, "--name", "plain", "busybox", "sleep", "1000")
    series_of(exporter, "plain")
    samples = series_of(exporter, "labelled")
    labels = next(lab for n, lab, _ in samples if n == "container_last_seen" and lab["name"] == "labelled")
    assert labels["image"] == "busybox"
    assert labels["container_label_com_example_team"] == "web"
    assert labels["id"].endswith("/" + cid)
    assert value(samples, "container_last_seen", name="plain", container_label_com_example_team="") is not None
    ph.docker("rm", "-f", "labelled", check=True)
    assert values(scrape(exporter), "container_last_seen", name="labelled") == []  # the very next scrape


def test_the_writable_layer_and_block_io(ph, exporter):
    run(
        ph,
        "--name",
        "writer",
        "busybox",
        "sh",
        "-c",
        "head -c 3000000 /dev/urandom > /blob; dd if=/dev/zero of=/synced bs=1M count=4 conv=fsync; sleep 1000",
    )

    def written():
        s = scrape(exporter)
        usage = values(s, "container_fs_usage_bytes", name="writer")
        writes = sum(values(s, "container_fs_writes_bytes_total", name="writer"))
        return s if usage and usage[0] >= 3_000_000 + 4 * 2**20 and writes >= 4 * 2**20 else None

    samples = wait_for(written, timeout=20, what="the writable layer's usage and the fsynced writes")
    limit = values(samples, "container_fs_limit_bytes", name="writer")[0]
    root = os.statvfs("/")
    assert limit == root.f_blocks * root.f_frsize  # the layer lives on the root filesystem here


def test_oom_kills_are_counted_by_the_exporter_and_the_daemon(ph, daemon, exporter):
    run(ph, "--name", "survivor", "-m", "16m", "busybox", "sleep", "1000")
    series_of(exporter, "survivor")
    before = value(scrape(daemon.metrics_port), "porthole_container_oom_kills_total")
    assert ph.docker("exec", "survivor", "tail", "/dev/zero").returncode == 137
    samples = scrape(exporter)
    assert value(samples, "container_oom_events_total", name="survivor") == 1  # and the container lives on
    run(ph, "--name", "victim", "-m", "16m", "busybox", "tail", "/dev/zero")
    wait_for(
        lambda: value(scrape(daemon.metrics_port), "porthole_container_oom_kills_total") == before + 1,
        timeout=20,
        what="the daemon's OOM count",
    )


def test_the_daemon_counts_lifecycle_and_api_requests(ph, daemon):
    before = scrape(daemon.metrics_port)
    assert ph.docker("run", "--name", "three", "busybox", "sh", "-c", "exit 3").returncode == 3
    ph.docker("inspect", "three", check=True)
    after = scrape_until(
        daemon.metrics_port, lambda s: value(s, "porthole_container_exits_total", exit_code="3"), "the exit counted"
    )
    assert (
        value(after, "porthole_container_exits_total", exit_code="3")
        == (value(before, "porthole_container_exits_total", exit_code="3") or 0) + 1
    )
    assert value(after, "porthole_container_starts_total") == value(before, "porthole_container_starts_total") + 1
    routes = {lab["route"] for n, lab, _ in after if n == "porthole_api_requests_total"}
    assert {"/containers/create", "/containers/{ref}/start", "/containers/{ref}/json"} <= routes
    assert value(after, "porthole_containers", state="exited") >= 1


def test_the_series_name_their_host(ph, daemon, exporter, tmp_path):
    """The exporter labels its series with the hostname, or the name --host-label gives (a Prometheus that
    scrapes several hosts, a federation, a remote write: each series still says where it is from)."""
    run(ph, "--name", "located", "busybox", "sleep", "1000")
    hostname = socket.gethostname()
    assert value(series_of(exporter, "located"), "container_last_seen", name="located", host=hostname) is not None
    assert value(series_of(daemon.metrics_port, "located"), "machine_cpu_cores", host=hostname) == os.cpu_count()
    with exporter_process(daemon.host, tmp_path / "named.log", "--host-label", "edge-7") as named:
        samples = series_of(named, "located")
        assert value(samples, "container_last_seen", name="located", host="edge-7") is not None
        assert value(samples, "machine_cpu_cores", host="edge-7") == os.cpu_count()


def test_the_daemon_with_exporter_serves_both(ph, daemon):
    run(ph, "--name", "both", "busybox", "sleep", "1000")
    samples = series_of(daemon.metrics_port, "both")
    assert value(samples, "porthole_container_starts_total") >= 1
    assert (
        value(
            samples,
            "machine_cpu_cores",
        )
        == os.cpu_count()
    )
    assert value(samples, "process_cpu_seconds_total") > 0  # the daemon's own, once


def test_promtool_check_metrics_finds_nothing(ph, daemon, exporter):
    run(ph, "--name", "linted", "-l", "a.b-c=1", "-m", "32m", "--cpus", "0.5", "busybox", "sleep", "1000")
    series_of(exporter, "linted")
    series_of(daemon.metrics_port, "linted")
    for port in (exporter, daemon.metrics_port):
        result = subprocess.run(["promtool", "check", "metrics"], input=get(port), capture_output=True)
        assert (result.returncode, result.stdout + result.stderr) == (0, b"")
