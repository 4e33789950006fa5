"""Fake cgroupfs and /proc trees with known counters, for the readers."""

from __future__ import annotations

from pathlib import Path

import pytest

GROUP = "docker/abc"

V1_FILES = {
    "cpuacct": {
        "cpuacct.usage": "123456789\n",
        "cpuacct.usage_percpu": "100000000 23456789 \n",
        "cpuacct.stat": "user 7\nsystem 3\n",
    },
    "cpu": {
        "cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 5000000\nnr_bursts 1\nburst_time 700\n",
        "cpu.shares": "512\n",
        "cpu.cfs_period_us": "100000\n",
        "cpu.cfs_quota_us": "50000\n",
    },
    "memory": {
        "memory.usage_in_bytes": "10485760\n",
        "memory.max_usage_in_bytes": "20971520\n",
        "memory.limit_in_bytes": "67108864\n",
        "memory.failcnt": "3\n",
        "memory.stat": (
            "cache 1000\nrss 2000\nmapped_file 300\nswap 0\npgfault 90\npgmajfault 9\n"
            "inactive_file 400\nactive_file 500\n"
            "total_cache 4096\ntotal_rss 8192\ntotal_mapped_file 1024\ntotal_swap 512\ntotal_pgfault 100\n"
            "total_pgmajfault 10\ntotal_inactive_file 2097152\ntotal_active_file 1048576\n"
        ),
        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
        "memory.kmem.usage_in_bytes": "4096\n",
        "memory.memsw.limit_in_bytes": "134217728\n",
        "memory.soft_limit_in_bytes": "9223372036854771712\n",
    },
    "pids": {"pids.current": "3\n", "pids.max": "max\n"},
    "blkio": {
        "blkio.throttle.io_service_bytes_recursive": (
            "254:0 Read 4096\n254:0 Write 8192\n254:0 Sync 0\n254:0 Async 12288\n254:0 Discard 512\n"
            "254:0 Total 12800\n8:16 Read 1\n8:16 Write 2\n8:16 Sync 0\n8:16 Async 3\n8:16 Discard 0\n"
            "8:16 Total 3\nTotal 12803\n"
        ),
        "blkio.throttle.io_serviced_recursive": (
            "254:0 Read 4\n254:0 Write 8\n254:0 Sync 0\n254:0 Async 12\n254:0 Discard 1\n254:0 Total 13\n"
            "8:16 Read 5\n8:16 Write 6\n8:16 Sync 0\n8:16 Async 11\n8:16 Discard 0\n8:16 Total 11\nTotal 24\n"
        ),
    },
}

V2_FILES = {
    "cgroup.controllers": "cpuset cpu io memory pids\n",
    "cpu.stat": (
        "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 10\nnr_throttled 2\n"
        "throttled_usec 5000\nnr_bursts 1\nburst_usec 7\n"
    ),
    "memory.current": "10485760\n",
    "memory.peak": "20971520\n",
    "memory.max": "67108864\n",
    "memory.stat": (
        "anon 8192\nfile 4096\nkernel 700\nfile_mapped 1024\nfile_dirty 5\nactive_file 1048576\n"
        "inactive_file 2097152\npgfault 100\npgmajfault 10\n"
    ),
    "memory.events": "low 0\nhigh 4\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n",
    "memory.swap.current": "512\n",
    "memory.swap.max": "max\n",
    "memory.low": "33554432\n",
    "pids.current": "3\n",
    "pids.max": "50\n",
    "io.stat": (
        "254:0 rbytes=4096 wbytes=8192 rios=4 wios=8 dbytes=512 dios=1\n"
        "8:16 rbytes=1 wbytes=2 rios=5 wios=6 dbytes=0 dios=0\n"
    ),
    "cpu.weight": "100\n",
    "cpu.max": "50000 100000\n",
    "cpu.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500\n",  # no "full" line before 5.13
    "memory.pressure": (
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=30\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=20\n"
    ),
    "io.pressure": ("some avg10=1.50 avg60=0.00 avg300=0.00 total=9\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=4\n"),
}

PROC_STAT = (
    "cpu  3738 5 2265 627967 307 1 26 230 0 0\n"
    "cpu0 548 2 940 315462 11 1 5 107 0 0\n"
    "cpu1 3190 3 1325 312505 296 0 21 123 0 0\n"
    "intr 1 2 3\nctxt 100\nbtime 1795800000\n"
)
PROC_MEMINFO = "MemTotal:       24684096 kB\nMemFree:        20000000 kB\nSwapTotal:       1048576 kB\n"
PROC_LOADAVG = "0.52 0.25 0.10 1/88 4424\n"
NET_DEV = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls"
    " carrier compressed\n"
    "    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0"
    "       0          0\n"
    "  eth0: 40858424    1215    1    2    0     0          0         0   116245     915    3    4    0     0"
    "       0          0\n"
)


def write_tree(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (root / name).write_text(content)


@pytest.fixture
def v1_root(tmp_path: Path) -> Path:
    """A hybrid host holding GROUP in each v1 hierarchy."""
    root = tmp_path / "cgroup"
    write_tree(root / "unified", {"cgroup.controllers": "", "cgroup.procs": ""})
    for name in ("cpu", "cpuacct", "memory", "pids", "blkio", "freezer", "systemd"):
        write_tree(root / name, {"cgroup.procs": ""})
        write_tree(root / name / GROUP, V1_FILES.get(name, {}))
    return root


@pytest.fixture
def v2_root(tmp_path: Path) -> Path:
    root = tmp_path / "cgroup"
    write_tree(root, {"cgroup.controllers": "cpuset cpu io memory pids\n", "cgroup.procs": ""})
    write_tree(root / GROUP, V2_FILES)
    return root


@pytest.fixture
def proc_root(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    write_tree(root, {"stat": PROC_STAT, "meminfo": PROC_MEMINFO, "loadavg": PROC_LOADAVG})
    write_tree(root / "42" / "net", {"dev": NET_DEV})
    return root


DEVICE_UEVENT = "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n"


@pytest.fixture
def v1_host(v1_root: Path, proc_root: Path, tmp_path: Path) -> dict[str, Path]:
    """A whole fake hybrid host: the v1 tree with files in each hierarchy's root too (the host's totals,
    pids has none there, as on a real host), /proc with pid 1 and pid 42 (in GROUP) and /sys/dev/block."""
    for name in ("cpu", "cpuacct", "memory", "blkio"):
        write_tree(v1_root / name, V1_FILES[name])
    write_tree(proc_root / "1" / "net", {"dev": NET_DEV})
    controllers = ("cpu", "cpuacct", "memory", "pids", "blkio")
    lines = "".join(f"{i}:{c}:/{GROUP}\n" for i, c in enumerate(controllers, 1)) + "0::/\n"
    (proc_root / "42" / "cgroup").write_text(lines)
    sys_root = tmp_path / "sys"
    write_tree(sys_root / "dev" / "block" / "254:0", {"uevent": DEVICE_UEVENT})
    return {"cgroup": v1_root, "proc": proc_root, "sys": sys_root}
