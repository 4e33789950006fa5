"""`docker stats` samples: read through the exporter's readers from a fake cgroup v2 tree and /proc; a file that
cannot be read costs only its own values, and is counted and logged (at most once a minute), never dropped."""

import logging
from pathlib import Path

import pytest

from common import rfc3339
from runtime.api.shapes.stats import stats
from runtime.engine.config import DaemonConfig
from runtime.engine.model import EXITED, RUNNING, Container, State
from runtime.engine.stats import StatsReader

CONTAINER_ID = "c" * 64
PID = 4242
# /proc/<pid>/net/dev: two header lines, then "<iface>: <8 receive counters> <8 transmit counters>"
NET_DEV = (
    "Inter-|   Receive |  Transmit\n"
    " face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier\n"
    "    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n"
    "  eth0: 5000 50 1 2 0 0 0 0 7000 70 3 4 0 0 0 0\n"
)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def host(tmp_path: Path) -> dict[str, Path]:
    cgroup, proc = tmp_path / "cgroup", tmp_path / "proc"
    write(cgroup, {"cgroup.controllers": "cpu memory pids\n"})
    write(
        cgroup / "porthole" / CONTAINER_ID,
        {
            "cgroup.controllers": "cpu memory pids\n",
            "cpu.stat": "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\n",
            "memory.current": "1048576\n",
            "memory.max": "max\n",
            "memory.events": "oom 0\noom_kill 0\n",
            "memory.stat": "anon 4096\nfile 8192\n",
            "pids.current": "3\n",
            "pids.max": "max\n",
        },
    )
    write(proc, {"stat": "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n"})
    write(proc, {"meminfo": "MemTotal:       2048 kB\nSwapTotal:         0 kB\n", "loadavg": "0.1 0.2 0.3 1/2 3\n"})
    write(proc / str(PID) / "net", {"dev": NET_DEV})
    return {"cgroup": cgroup, "proc": proc}


def container(status: str = RUNNING, network_mode: str = "bridge") -> Container:
    return Container(
        id=CONTAINER_ID,
        name="web",
        created=rfc3339.now(),
        image_ref="busybox",
        image_id="sha256:x",
        config={},
        host_config={"NetworkMode": network_mode},
        networking_config={},
        mounts=[],
        path="sleep",
        args=[],
        layers=[],
        state=State(status=status, pid=PID),
    )


def reader(host: dict[str, Path]) -> StatsReader:
    return StatsReader(DaemonConfig(cgroup_root=host["cgroup"], cgroup_parent="porthole"), proc_root=host["proc"])


def test_a_running_container_is_read_whole(host):
    stats_reader = reader(host)
    sample = stats_reader.sample(container())
    assert sample.cgroup.cpu.usage_ns == 2_000_000 and sample.cgroup.memory.usage == 1_048_576
    assert sample.host.mem_total == 2048 * 1024 and list(sample.networks) == ["eth0"]
    assert stats_reader.read_errors == 0
    shape = stats(sample)
    assert shape["cpu_stats"]["cpu_usage"]["total_usage"] == 2_000_000 and shape["pids_stats"] == {"current": 3}
    assert shape["networks"]["eth0"]["rx_bytes"] == 5000 and shape["read"] != rfc3339.NEVER


def test_a_stopped_container_is_not_read(host):
    (host["cgroup"] / "porthole" / CONTAINER_ID / "memory.current").write_text("garbage\n")
    stats_reader = reader(host)
    sample = stats_reader.sample(container(EXITED))
    assert sample.read_ns == 0 and stats_reader.read_errors == 0
    assert stats(sample)["read"] == rfc3339.NEVER and "networks" not in stats(sample)


def test_unreadable_files_cost_their_values_and_are_counted_and_logged_once(host, caplog):
    (host["cgroup"] / "porthole" / CONTAINER_ID / "memory.current").write_text("garbage\n")
    (host["proc"] / str(PID) / "net" / "dev").unlink()
    stats_reader = reader(host)
    with caplog.at_level(logging.WARNING, logger="porthole.engine"):
        first = stats_reader.sample(container())
        second = stats_reader.sample(container())
    assert first.cgroup.cpu.usage_ns == 2_000_000 and first.cgroup.memory.usage is None
    assert first.networks == {} and second.cgroup.pids.current == 3
    assert stats_reader.read_errors == 4  # memory.current and net/dev, twice
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, "the throttle lets one line a minute through"
    assert warnings[0].startswith("engine: stats: 2 counter files unread since the last report, latest of container")
    assert "net/dev" in warnings[0]


def test_the_previous_sample_gives_precpu_stats(host):
    stats_reader = reader(host)
    first = stats_reader.sample(container())
    (host["cgroup"] / "porthole" / CONTAINER_ID / "cpu.stat").write_text("usage_usec 5000\n")
    shape = stats(stats_reader.sample(container()), first)
    assert shape["precpu_stats"]["cpu_usage"]["total_usage"] == 2_000_000
    assert shape["cpu_stats"]["cpu_usage"]["total_usage"] == 5_000_000
    assert shape["preread"] == rfc3339.format_ns(first.read_ns)


def test_pids_leave_out_the_daemons_helpers_in_the_cgroup(host):
    """An exec helper (a fork of the zygote, still in the daemon's pid namespace) is not the container's process,
    as Docker counts them; a container's process that takes the zygote's command line in its own namespace is."""
    proc = host["proc"]
    (host["cgroup"] / "porthole" / CONTAINER_ID / "cgroup.procs").write_text(f"{PID}\n901\n902\n")
    (proc / str(PID) / "cmdline").write_bytes(b"sleep\0")
    for pid, namespace in (("self", "pid:[4026531836]"), ("901", "pid:[4026531836]"), ("902", "pid:[4026532999]")):
        (proc / pid / "ns").mkdir(parents=True)
        (proc / pid / "ns" / "pid").symlink_to(namespace)
        (proc / pid / "cmdline").write_bytes(b"/usr/bin/python3\0-I\0-m\0runtime.shim.zygote\0")
    assert reader(host).sample(container()).cgroup.pids.current == 2
