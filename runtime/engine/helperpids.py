"""The daemon's own processes in a container's cgroup: `docker top` and the PIDs of `docker stats` leave them out.

An exec helper and a health prober are forks of the shim zygote: each joins the container's cgroup and waits there
for the process it started, so the cgroup counts it. Docker's counterparts (runc's exec, containerd's shim) are
gone, or outside the cgroup, once the process runs, so Docker's figures never include them.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from exporter.readers.procfs import PROC_ROOT

# A fork keeps the zygote's command line (runtime/engine/shims.py starts it as `python -I -m runtime.shim.zygote`).
ZYGOTE_ARGV_END = b"\0-I\0-m\0runtime.shim.zygote\0"


def helper_pids(pids: Iterable[int], proc_root: Path = PROC_ROOT) -> set[int]:
    """Those of `pids` that are the zygote's forks. A helper stays in the daemon's pid namespace (setns into the
    container's applies to its children only), where a container with its own has no process: its processes
    cannot pass for a helper by taking the zygote's command line."""
    found = set()
    for pid in pids:
        try:
            if not (proc_root / str(pid) / "cmdline").read_bytes().endswith(ZYGOTE_ARGV_END):
                continue
            namespace = os.readlink(proc_root / str(pid) / "ns" / "pid")
        except (FileNotFoundError, ProcessLookupError):  # it exited since the cgroup was read: nothing to leave out
            continue
        if namespace == os.readlink(proc_root / "self" / "ns" / "pid"):
            found.add(pid)
    return found
