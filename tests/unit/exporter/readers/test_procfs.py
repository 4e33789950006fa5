import pytest

from exporter.readers.procfs import read_host, read_net_dev
from exporter.readers.samples import HostStats, InterfaceCounters

TICK_NS = 10_000_000  # USER_HZ = 100


def test_read_host(proc_root):
    stats, errors = read_host(proc_root)
    assert errors == []
    assert stats == HostStats(
        # user nice system idle iowait irq softirq; steal (230) and guest are left out, as moby does
        system_cpu_ns=(3738 + 5 + 2265 + 627967 + 307 + 1 + 26) * TICK_NS,
        per_cpu_ns=(
            (548 + 2 + 940 + 315462 + 11 + 1 + 5) * TICK_NS,
            (3190 + 3 + 1325 + 312505 + 296 + 0 + 21) * TICK_NS,
        ),
        online_cpus=2,
        mem_total=24684096 * 1024,
        swap_total=1048576 * 1024,
        load=(0.52, 0.25, 0.10),
    )


@pytest.mark.parametrize(
    "file, content, field, cause",
    [
        (
            "stat",
            "cpu  1 x 3\ncpu0 1 2 3\n",
            "system_cpu_ns",
            "invalid line 'cpu  1 x 3': expected 'cpu<N> <ticks> ...'",
        ),
        (
            "meminfo",
            "MemTotal: many kB\n",
            "mem_total",
            "invalid line 'MemTotal: many kB': expected '<key>: <value> kB'",
        ),
        ("loadavg", "high\n", "load", "invalid value 'high': expected three load averages"),
        ("loadavg", None, "load", "No such file or directory"),
    ],
)
def test_read_host_partial(proc_root, file, content, field, cause):
    if content is None:
        (proc_root / file).unlink()
    else:
        (proc_root / file).write_text(content)
    stats, errors = read_host(proc_root)
    assert getattr(stats, field) is None
    assert [(e.path, e.cause) for e in errors] == [(proc_root / file, cause)]


def test_read_net_dev(proc_root):
    interfaces, errors = read_net_dev(42, proc_root)
    assert errors == []
    assert interfaces == {
        "lo": InterfaceCounters(3193, 29, 0, 0, 3193, 29, 0, 0),
        "eth0": InterfaceCounters(40858424, 1215, 1, 2, 116245, 915, 3, 4),
    }


def test_read_net_dev_skips_a_garbled_line(proc_root):
    dev = proc_root / "42" / "net" / "dev"
    lines = dev.read_text().splitlines()
    dev.write_text("\n".join([*lines[:2], "  eth1: 1 2 3", lines[3]]) + "\n")
    interfaces, errors = read_net_dev(42, proc_root)
    assert list(interfaces) == ["eth0"]
    cause = "invalid line '  eth1: 1 2 3': expected '<iface>: <16 counters>'"
    assert [(e.path, e.cause) for e in errors] == [(dev, cause)]


def test_read_net_dev_of_a_gone_process(proc_root):
    interfaces, errors = read_net_dev(99, proc_root)
    assert interfaces == {}
    assert errors[0].path == proc_root / "99" / "net" / "dev"
