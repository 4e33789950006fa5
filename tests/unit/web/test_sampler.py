"""The sampler over a fake cgroup v1 tree and /proc under tmp_path: a row per live container per tick (the
watcher's targets), followed across a restart into the same history."""

from pathlib import Path

import pytest

from exporter.watcher import ContainerWatcher
from tests.unit.exporter.fakes import inspect_json
from tests.unit.web.fakes import FakeEngine
from web.history import HistoryStore
from web.sampler import HOST_KEY, Sampler

CID = "e5" * 32
NET_DEV = """Inter-|   Receive                                       |  Transmit
 face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed
    lo:   100     1    0    0    0     0          0         0    100     1    0    0    0     0       0          0
  eth0:  {rx}     7    0    1    0     0          0         0    900     5    0    0    0     0       0          0
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


class FakeHost:
    def __init__(self, root: Path) -> None:
        self.cgroup = root / "cgroup"
        self.proc = root / "proc"
        for hierarchy in ("cpu,cpuacct", "memory"):
            write(self.cgroup / hierarchy / "cgroup.procs", "1\n")
        write(self.cgroup / "cpu,cpuacct" / "cpuacct.usage", "5000\n")
        write(self.cgroup / "memory" / "memory.usage_in_bytes", "8000\n")
        write(self.proc / "stat", "cpu  1 2 3 4 5 6 7 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\n")
        write(self.proc / "meminfo", "MemTotal:       1000 kB\nSwapTotal:         0 kB\n")
        write(self.proc / "loadavg", "0.50 0.25 0.10 1/100 42\n")
        write(self.proc / "1" / "net" / "dev", NET_DEV.format(rx=1))

    def container(self, pid: int, group: str, *, usage_ns: int, memory: int, rx: int) -> None:
        write(self.proc / str(pid) / "cgroup", f"4:memory:/{group}\n3:cpu,cpuacct:/{group}\n")
        write(self.proc / str(pid) / "net" / "dev", NET_DEV.format(rx=rx))
        write(self.cgroup / "cpu,cpuacct" / group / "cpuacct.usage", f"{usage_ns}\n")
        write(self.cgroup / "memory" / group / "memory.usage_in_bytes", f"{memory}\n")


@pytest.fixture
def host(tmp_path):
    return FakeHost(tmp_path)


def build(host: FakeHost, engine: FakeEngine):
    watcher = ContainerWatcher(engine, component="web", cgroup_root=host.cgroup, proc_root=host.proc)
    watcher.refresh()
    history = HistoryStore(capacity=16)
    times = iter(range(100, 200))
    sampler = Sampler(watcher, history, cgroup_root=host.cgroup, proc_root=host.proc, clock=lambda: next(times))
    return watcher, history, sampler


def test_a_tick_reads_each_live_container_and_the_host(host):
    host.container(4242, "ph/one", usage_ns=123, memory=4096, rx=555)
    engine = FakeEngine([inspect_json(CID, "one", pid=4242), inspect_json("f" * 64, "stopped", state="exited")])
    _, history, sampler = build(host, engine)
    sampler.sample_once()
    ((t, row),) = history.last(CID)
    assert (row["pid"], row["cpu.usage_ns"], row["memory.usage"], row["net.eth0.rx_bytes"]) == (4242, 123, 4096, 555)
    assert "net.lo.rx_bytes" not in row
    assert history.last("f" * 64) == []
    ((_, host_row),) = history.last(HOST_KEY)
    assert (host_row["cpu.usage_ns"], host_row["memory.usage"], host_row["load.1"]) == (5000, 8000, 0.5)
    assert sampler.host.mem_total == 1024000
    assert sampler.read_errors.count > 0  # the fake tree lacks most files; they are counted, not fatal


def test_a_restarted_container_is_followed_into_its_new_process_and_cgroup(host):
    host.container(4242, "ph/one", usage_ns=9_000_000, memory=4096, rx=555)
    engine = FakeEngine([inspect_json(CID, "one", pid=4242)])
    watcher, history, sampler = build(host, engine)
    sampler.sample_once()
    host.container(5353, "ph/one-again", usage_ns=10, memory=2048, rx=7)
    engine.inspected[CID] = inspect_json(CID, "one", pid=5353, restart_count=1)
    watcher.stale(CID)  # as the "start" event would
    watcher.refresh()
    sampler.sample_once()
    window = history.window(CID)
    assert window.columns["pid"] == [4242, 5353]
    assert window.columns["cpu.usage_ns"] == [9_000_000, 10]
    assert window.columns["net.eth0.rx_bytes"] == [555, 7]


def test_a_process_that_is_gone_is_not_sampled_and_the_container_is_inspected_again(host):
    engine = FakeEngine([inspect_json(CID, "one", pid=9999)])  # no /proc/9999
    watcher, history, sampler = build(host, engine)
    sampler.sample_once()
    assert history.last(CID) == []
    engine.inspected[CID] = inspect_json(CID, "one", state="exited")
    watcher.refresh()  # its process was gone at the inspection: inspected again at every refresh
    assert watcher.get("one").state == "exited"


def test_removed_containers_lose_their_history(host):
    host.container(4242, "ph/one", usage_ns=1, memory=1, rx=1)
    engine = FakeEngine([inspect_json(CID, "one", pid=4242)])
    watcher, history, sampler = build(host, engine)
    sampler.sample_once()
    del engine.inspected[CID]
    watcher.refresh()
    sampler.sample_once()
    assert history.keys() == [HOST_KEY]


def test_a_sampler_of_some_controllers_reads_only_those(host):
    """A probe of its own samples only what the map shows (web.topology.usage.MAP_CONTROLLERS): no network."""
    host.container(4242, "ph/one", usage_ns=123, memory=4096, rx=555)
    watcher = ContainerWatcher(
        FakeEngine([inspect_json(CID, "one", pid=4242)]), component="web", cgroup_root=host.cgroup, proc_root=host.proc
    )
    watcher.refresh()
    history = HistoryStore(capacity=2)
    Sampler(watcher, history, cgroup_root=host.cgroup, proc_root=host.proc, controllers={"memory"}).sample_once()
    ((_, row),) = history.last(CID)
    assert row["memory.usage"] == 4096
    assert "cpu.usage_ns" not in row and "net.eth0.rx_bytes" not in row
