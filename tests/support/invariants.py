"""What must hold between a test daemon's word (its API) and the kernel's, whatever happened before (a crash at
any instant, a full disk): each check returns the violations it found, as sentences, so that a test can wait for
them to be gone (exits are handled on threads of their own after a restart) and then show what is left.

- a container reported running has a live init in its cgroup, thawed; one reported paused, frozen; every process
  in one of the daemon's cgroups belongs to a container reported running or paused
- no cgroup, veth, network namespace, mount, iptables rule, IP allocation or shim without its running container
- the records on disk are whole JSON (an atomic write never leaves a truncated one)
- the image layers on disk are exactly those of the images and the containers
- `docker logs` of each container (a counter that prints 1, 2, 3 ... each run) has no duplicate and no gap, but
  the lines the shim counted as lost to failed writes (a full disk)
"""

import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.daemon import TestDaemon

CGROUP = Path("/sys/fs/cgroup")
SYS_NET = Path("/sys/class/net")
LIVE = ("running", "paused")
SHIM_COMMAND = b"runtime.shim.zygote"  # in the command line of the zygote and of every shim it forked


@dataclass
class Reported:
    """A container as the API reports it."""

    id: str
    status: str
    pid: int
    addresses: dict[str, str] = field(default_factory=dict)  # network name -> IPv4 address (live endpoints)
    layers: list[str] = field(default_factory=list)  # the image layers' trees it is made of

    @property
    def live(self) -> bool:
        return self.status in LIVE


def reported(api) -> dict[str, Reported]:
    containers = {}
    for summary in api.containers(all=True):
        attrs = api.inspect_container(summary["Id"])
        networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
        addresses = {name: n["IPAddress"] for name, n in networks.items() if n.get("IPAddress")}
        state = attrs["State"]
        layers = [tree for tree in (attrs["GraphDriver"]["Data"].get("LowerDir") or "").split(":") if tree]
        containers[attrs["Id"]] = Reported(attrs["Id"], state["Status"], state["Pid"], addresses, layers)
    return containers


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _procs(group: Path) -> set[int]:
    pids: set[int] = set()
    for procs in group.rglob("cgroup.procs"):
        try:
            pids.update(int(p) for p in procs.read_text().split())
        except FileNotFoundError:
            continue  # removed meanwhile
    return pids


def cgroup_violations(daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    found = []
    parent = CGROUP / "pids" / daemon.cgroup_parent
    groups = {d.name: d for d in parent.iterdir() if d.is_dir()} if parent.is_dir() else {}
    for cid, c in containers.items():
        group = groups.get(cid)
        if not c.live:
            continue
        if not _alive(c.pid):
            found.append(f"{cid[:12]} reported {c.status} with pid {c.pid}, which is not alive")
        elif group is None or c.pid not in _procs(group):
            found.append(f"{cid[:12]} reported {c.status}: its init {c.pid} is not in its cgroup")
        freezer = CGROUP / "freezer" / daemon.cgroup_parent / cid / "freezer.state"
        state = freezer.read_text().strip() if freezer.exists() else "missing"
        wanted = "FROZEN" if c.status == "paused" else "THAWED"
        if state != wanted:
            found.append(f"{cid[:12]} reported {c.status}, its freezer reads {state}")
    for name, group in groups.items():
        c = containers.get(name)
        if c is None or not c.live:
            pids = _procs(group)
            what = "no container" if c is None else f"a container reported {c.status}"
            found.append(
                f"cgroup {name[:12]} of {what} holds {len(pids)} processes"
                if pids
                else f"cgroup {name[:12]} of {what} is left"
            )
    return found


def netns_violations(daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    directory = daemon.exec_root / "netns"
    files = {p.name for p in directory.iterdir()} if directory.is_dir() else set()
    return [f"netns {name[:12]} without a running container" for name in files if not _live(containers, name)]


def _live(containers: dict[str, Reported], cid: str) -> bool:
    c = containers.get(cid)
    return c is not None and c.live


def _bridges(api, daemon: TestDaemon) -> set[str]:
    names = {daemon.bridge}
    for network in api.networks():
        if network["Driver"] == "bridge" and network["Name"] != "bridge":
            names.add(
                (network.get("Options") or {}).get("com.docker.network.bridge.name") or f"br-{network['Id'][:12]}"
            )
    return names


def veth_violations(api, daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    # a bridge's ports are listed under it in sysfs: cheaper than a netlink dump of every link on a busy host
    plugged = sorted(port.name for bridge in _bridges(api, daemon) for port in SYS_NET.glob(f"{bridge}/brif/*"))
    endpoints = sum(len(c.addresses) for c in containers.values() if c.live)
    if len(plugged) != endpoints:
        return [f"{len(plugged)} veths on the daemon's bridges ({', '.join(plugged)}) for {endpoints} live endpoints"]
    return []


def ipam_violations(daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    allocated: dict[str, str] = {}
    for path in (daemon.data_root / "network" / "ipam").glob("*.json"):
        allocated.update(json.loads(path.read_text())["allocated"])
    held = {ip: cid for cid, c in containers.items() if c.live for ip in c.addresses.values()}
    found = [
        f"address {ip} allocated to {owner[:12]}, which does not hold it"
        for ip, owner in allocated.items()
        if held.get(ip) != owner
    ]
    found += [f"address {ip} of {cid[:12]} is not allocated" for ip, cid in held.items() if ip not in allocated]
    return found


def iptables_violations(daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    rules = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True, check=True).stdout
    held = {ip for c in containers.values() if c.live for ip in c.addresses.values()}
    found = []
    for rule in rules.splitlines():
        if not rule.startswith(f"-A {daemon.chain_prefix}-"):
            continue
        for ip in re.findall(r"--to-destination (\d+\.\d+\.\d+\.\d+)|-[sd] (\d+\.\d+\.\d+\.\d+)/32", rule):
            address = ip[0] or ip[1]
            if address not in held:
                found.append(f"iptables rule for {address}, which no running container holds: {rule}")
    return found


def mount_violations(daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    allowed = {str(daemon.data_root)} if daemon.data_root_size else set()
    allowed |= {str(daemon.exec_root / "netns" / cid) for cid, c in containers.items() if c.live}
    root = str(daemon.root)
    with open("/proc/self/mountinfo") as f:
        points = {line.split()[4] for line in f}
    return [f"mount {p} without its container" for p in sorted(points) if p.startswith(root) and p not in allowed]


def shim_violations(daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    """A shim holds its container's log open for writing; the daemon's own readers are not shims. Shims are forks
    of the shim zygote and never exec, so only the processes with its command line are looked into (reading the
    descriptors of every process on a busy machine was most of the invariants' time)."""
    pattern = re.compile(re.escape(str(daemon.data_root / "containers")) + r"/([0-9a-f]{64})/\1-json\.log$")
    holders: dict[str, int] = {}
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if SHIM_COMMAND not in f.read():
                    continue
            targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        for target in targets:
            match = pattern.match(target)
            if match:
                holders[match.group(1)] = pid
    found = [
        f"shim {pid} of {cid[:12]}, which is not running" for cid, pid in holders.items() if not _live(containers, cid)
    ]
    found += [
        f"{cid[:12]} reported {c.status} has no shim" for cid, c in containers.items() if c.live and cid not in holders
    ]
    return found


def record_violations(daemon: TestDaemon) -> list[str]:
    found = []
    for path in [*(daemon.data_root / "containers").glob("*/*.json"), *(daemon.data_root / "network").glob("*/*.json")]:
        try:
            json.loads(path.read_bytes())
        except FileNotFoundError:
            continue  # removed meanwhile
        except ValueError as e:
            found.append(f"record {path} is not whole JSON: {e}")
    return found


def layer_violations(api, daemon: TestDaemon, containers: dict[str, Reported]) -> list[str]:
    """The layers on disk are exactly those an image or a container is made of: none kept for nothing (a hold a
    crash lost), none missing under an image."""
    used: dict[str, str] = {}
    for summary in api.images(all=True):
        graph = api.inspect_image(summary["Id"])["GraphDriver"]["Data"]
        for tree in [graph.get("UpperDir"), *(graph.get("LowerDir") or "").split(":")]:
            if tree:
                used[Path(tree).parent.name] = f"image {summary['Id'][7:19]}"
    for cid, c in containers.items():
        used.update((Path(tree).parent.name, f"container {cid[:12]}") for tree in c.layers)
    stored = {meta.parent.name for meta in (daemon.data_root / "layers" / "sha256").glob("*/layer.json")}
    found = [f"layer {layer[:12]} on disk, which no image or container uses" for layer in stored - set(used)]
    found += [f"layer {layer[:12]} of {used[layer]} is not on disk" for layer in set(used) - stored]
    return found


# a counter of the kind log_violations() checks: a random id for each run, then 1, 2, 3 ...
# (a TERM ends it at once: PID 1 has no default action for it)
COUNTER = (
    "trap 'exit 143' TERM; read r < /proc/sys/kernel/random/uuid; i=0; "
    "while true; do i=$((i+1)); echo $r $i; sleep 0.1; done"
)


def log_violations(api, daemon: TestDaemon, containers: Iterable[str], lost_allowed: bool) -> list[str]:
    """Each container runs COUNTER: no line twice, none missing but those the shim counted as lost to failed
    writes (lost_allowed, a full disk)."""
    found = []
    for cid in containers:
        lines = [line.split() for line in api.logs(cid, stdout=True, stderr=False).decode().splitlines()]
        duplicates, missing = _gaps([(run, int(n)) for run, n in lines])
        counted = _failed_writes(daemon, cid)
        if duplicates:
            found.append(f"logs of {cid[:12]}: {duplicates} duplicated lines")
        if missing > (counted if lost_allowed else 0):
            found.append(f"logs of {cid[:12]}: {missing} lines missing, {counted} counted lost to failed writes")
    return found


def _gaps(lines: list[tuple[str, int]]) -> tuple[int, int]:
    duplicates = missing = 0
    last: dict[str, int] = {}
    for run, n in lines:
        previous = last.get(run, 0)
        if n <= previous:
            duplicates += 1
        else:
            missing += n - previous - 1
            last[run] = n
    return duplicates, missing


def _failed_writes(daemon: TestDaemon, cid: str) -> int:
    path = daemon.exec_root / "containers" / cid / "log-write-failures.json"
    return json.loads(path.read_text())["lines"] if path.exists() else 0


def violations(api, daemon: TestDaemon, *, disk_full: bool = False) -> list[str]:
    """Everything above; on a full disk, what the disk cannot yet hold (address allocations, rules and links
    released but not yet recorded) is left for after space returns."""
    containers = reported(api)
    found = cgroup_violations(daemon, containers)
    found += netns_violations(daemon, containers)
    found += mount_violations(daemon, containers)
    found += shim_violations(daemon, containers)
    found += record_violations(daemon)
    found += log_violations(api, daemon, containers, lost_allowed=daemon.data_root_size is not None)
    found += layer_violations(api, daemon, containers)
    if not disk_full:
        found += veth_violations(api, daemon, containers)
        found += ipam_violations(daemon, containers)
        found += iptables_violations(daemon, containers)
    return found
