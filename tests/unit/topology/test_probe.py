"""The probe over a fake /proc and cgroup2 tree: a host process and a container's two processes, its
socket table read once, each socket's process found through its fds, and CPU from two readings (the
container's from two samples of the sampler, whose history the map shares with the dashboard)."""

import os

import pytest

from exporter.watcher import ContainerWatcher
from tests.unit.topology.test_proc_net import HEADER, line
from web.history import HistoryStore
from web.sampler import Sampler
from web.topology.probe import Probe

CID = "ab" * 32
STAT = "{pid} ({name}) S {ppid} 1 1 0 -1 0 0 0 0 0 {ticks} 0 0 0 20 0 1 0 {start} 1000 5 0\n"
NET_DEV = "Inter-| Receive | Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes\n"


class Engine:
    def __init__(self):
        self.inspections = 0

    def containers(self, all=False):
        return [
            {
                "Id": CID,
                "Names": ["/web"],
                "Image": "busybox",
                "State": "running",
                "Labels": {"tier": "front"},
                "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}],
                "NetworkSettings": {"Networks": {"net": {"IPAddress": "172.18.0.2", "IPPrefixLen": 16}}},
            }
        ]

    def inspect_container(self, container):
        self.inspections += 1
        return {
            "Id": CID,
            "Name": "/web",
            "State": {"Status": "running", "Pid": 100, "StartedAt": "2024-05-01T10:00:01Z"},
            "Config": {"Image": "busybox", "Labels": {"tier": "front"}, "Cmd": ["httpd", "-f"]},
            "RestartCount": 2,
            "HostConfig": {},
        }


def process(proc, pid, name, ppid, net, pidns, *, ticks=0, fds=(), tcp=None):
    d = proc / str(pid)
    (d / "ns").mkdir(parents=True)
    (d / "fd").mkdir()
    (d / "net").mkdir()
    os.link(net, d / "ns" / "net")  # one inode per namespace, as nsfs gives
    os.link(pidns, d / "ns" / "pid")
    (d / "stat").write_text(STAT.format(pid=pid, name=name, ppid=ppid, ticks=ticks, start=pid))
    (d / "cmdline").write_bytes(name.encode() + b"\0-f\0")
    (d / "cgroup").write_text("0::/ctr\n" if pid >= 100 else "0::/\n")
    for n, inode in enumerate(fds, start=3):
        (d / "fd" / str(n)).symlink_to(f"socket:[{inode}]")
    if tcp is not None:
        (d / "net" / "tcp").write_text(HEADER + tcp)
        (d / "net" / "fib_trie").write_text("")
        (d / "net" / "dev").write_text(NET_DEV)


@pytest.fixture
def tree(tmp_path):
    proc, cgroup, ns = tmp_path / "proc", tmp_path / "cgroup", tmp_path / "ns"
    for d in (proc, cgroup / "ctr", ns):
        d.mkdir(parents=True)
    for name in ("host-net", "host-pid", "ctr-net", "ctr-pid", "other-net"):
        (ns / name).write_text("")
    (cgroup / "cgroup.controllers").write_text("cpu memory\n")
    (cgroup / "ctr" / "cpu.stat").write_text("usage_usec 1000000\nuser_usec 0\nsystem_usec 0\n")
    (cgroup / "ctr" / "cgroup.controllers").write_text("cpu memory\n")
    (cgroup / "ctr" / "memory.current").write_text("4096\n")
    process(proc, 1, "init", 0, ns / "host-net", ns / "host-pid", fds=(), tcp="")
    process(proc, 2, "kthreadd", 0, ns / "host-net", ns / "host-pid")
    process(proc, 7, "kworker", 2, ns / "host-net", ns / "host-pid")
    process(proc, 9, "elsewhere", 1, ns / "other-net", ns / "host-pid")  # another runtime's: not ours
    tcp = line("00000000:0050", "00000000:0000", "0A", 555) + line("020012AC:0050", "030012AC:9C40", "01", 556)
    process(proc, 100, "httpd", 1, ns / "ctr-net", ns / "ctr-pid", fds=(555,), tcp=tcp)
    process(proc, 101, "httpd", 100, ns / "ctr-net", ns / "ctr-pid", ticks=50, fds=(556,), tcp=tcp)
    return proc, cgroup


def test_a_report_of_the_host_and_a_container(tree):
    proc, cgroup = tree
    engine = Engine()
    now = [1000.0]
    watcher = ContainerWatcher(engine, component="topology", cgroup_root=cgroup, proc_root=proc)
    watcher.refresh()
    sampler = Sampler(watcher, HistoryStore(capacity=2), cgroup_root=cgroup, proc_root=proc, clock=lambda: now[0])
    probe = Probe(watcher, sampler, host_id="h", host_pid=1, proc_root=proc, clock=lambda: now[0])
    sampler.sample_once()
    first = probe.report()
    assert {p.pid: p.container for p in first.processes} == {1: None, 100: CID, 101: CID}
    (container,) = first.containers
    assert (container.name, container.pid, container.restart_count, container.command) == ("web", 100, 2, "httpd -f")
    assert container.netns == os.stat(proc / "100" / "ns" / "net").st_ino
    assert container.ports[0].host_port == 8080 and container.networks[0].ip == "172.18.0.2"
    assert container.memory_bytes == 4096 and container.cpu_percent is None  # one reading: no rate yet
    assert [(x.port, x.pid) for x in first.listeners] == [(80, 100)]
    (accepted,) = first.endpoints
    assert (accepted.pid, accepted.server, accepted.remote_ip) == (101, True, "172.18.0.3")

    (cgroup / "ctr" / "cpu.stat").write_text("usage_usec 2000000\nuser_usec 0\nsystem_usec 0\n")
    (proc / "101" / "stat").write_text(STAT.format(pid=101, name="httpd", ppid=100, ticks=150, start=101))
    now[0] = 1002.0
    sampler.sample_once()
    second = probe.report()
    assert second.containers[0].cpu_percent == 50.0  # 1 s of CPU in 2 s
    ticks = os.sysconf("SC_CLK_TCK")
    assert {p.pid: p.cpu_percent for p in second.processes}[101] == round(100 * 100 / ticks / 2, 2)
    assert engine.inspections == 1  # the state did not change: no second inspection
