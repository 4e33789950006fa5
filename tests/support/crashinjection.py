"""Crash points in a test daemon: before and after each step that leaves a trace outside the daemon's memory
(a state file written, a cgroup file written, a signal sent, a shim or an exec started, a namespace, link or rule
made or removed, an embedded DNS attached, a container's or a volume's files removed, an image's layer, config,
tags or holds recorded), the daemon may SIGKILL itself, so that a crash lands exactly between two steps, as the
crash tests of databases place them.

The test arms the daemon by writing a number N to the arm file: the N-th crash point reached from then on kills
it, after appending the point's name to the crash log; "N name" counts only the points of that name. Removing
the file disarms it, at once. Each point decides under an flock of the arm file and, when it fires, adds the pid it
kills on a second line: the test, taking the same lock to remove the file, learns which daemon a point killed last
(a point of another thread may fire at the very moment the test disarms). Installed in the daemon process only
(crashpoints/sitecustomize.py, through PYTHONPATH and PORTHOLE_CRASH_ARM); the shims, forked from a zygote started
with `python -I`, never load it."""

import fcntl
import functools
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

# (module, attribute): functions and methods wrapped before the daemon's own imports; a function a module took
# with `from module import name` while these were imported (a package's __init__) is replaced there too
POINTS = (
    ("runtime.atomicfile", "write_bytes_atomic"),
    ("runtime.cgroups.cgroupfile", "write_file"),
    ("runtime.engine.signals", "send_signal"),
    ("runtime.engine.shims", "ShimLauncher.start_container"),
    ("runtime.engine.store", "ContainerStore.remove"),
    ("runtime.network.netns", "create_netns"),
    ("runtime.network.netns", "remove_netns"),
    ("runtime.network.links", "ensure_bridge"),
    ("runtime.network.links", "add_veth"),
    ("runtime.network.links", "delete_link"),
    ("runtime.network.firewall", "HostFirewall.apply"),
    ("runtime.volumes.service", "VolumeService.create"),
    ("runtime.volumes.service", "VolumeService.remove"),
    # a volume's directory made, retired (renamed aside) and deleted
    ("runtime.volumes.layout", "create"),
    ("runtime.volumes.layout", "retire"),
    ("runtime.volumes.layout", "delete"),
    # the embedded DNS of a container on a user-defined network: its sockets in the namespace, its redirect
    ("runtime.network.dns_server", "EmbeddedDns.attach"),
    ("runtime.network.dns_server", "EmbeddedDns.detach"),
    ("runtime.network.firewall", "HostFirewall.install_dns_redirect"),
    # an exec's helper started in the container's namespaces and cgroup
    ("runtime.engine.shims", "ShimLauncher.start_exec"),
    # images: a layer moved into the store, a config, tags and a container's hold on layers recorded
    ("runtime.images.layerstore", "LayerStore._commit"),
    ("runtime.images.imageindex", "ImageIndex.add_config"),
    ("runtime.images.imageindex", "ImageIndex.set_tags"),
    ("runtime.images.imageindex", "ImageIndex.set_hold"),
)


class CrashPoints:
    def __init__(self, arm_path: str, log_path: str) -> None:
        self._arm = Path(arm_path)
        self._log_path = log_path
        self._lock = threading.Lock()

    def reached(self, name: str) -> None:
        """The count left is kept in the arm file, not in memory: the test disarms a daemon that is running
        (one it let recover armed) by removing the file."""
        with self._lock:
            try:
                arm = open(self._arm, "r+")
            except FileNotFoundError:
                return
            with arm:
                fcntl.flock(arm, fcntl.LOCK_EX)
                if os.fstat(arm.fileno()).st_nlink == 0:
                    return  # disarmed while this point waited for the lock
                count, _, only = arm.readline().strip().partition(" ")
                if only and name != only:
                    return
                left = max(int(count) - 1, 1)  # one that fired stays armed: a recovery may die of it too
                arm.seek(0)
                arm.truncate()
                arm.write(f"{left} {only}".rstrip())
                if int(count) > 1:
                    return
                arm.write(f"\n{os.getpid()}")
                arm.flush()
                with open(self._log_path, "a") as log:
                    log.write(name + "\n")
                os.kill(os.getpid(), signal.SIGKILL)

    def wrap(self, name: str, function: Callable) -> Callable:
        @functools.wraps(function)
        def crashing(*args, **kwargs):
            self.reached(f"before {name}")
            result = function(*args, **kwargs)
            self.reached(f"after {name}")
            return result

        return crashing


def install(arm_path: str, log_path: str) -> None:
    points = CrashPoints(arm_path, log_path)
    for module_name, attribute in POINTS:
        owner = importlib.import_module(module_name)
        *classes, function = attribute.split(".")
        for class_name in classes:
            owner = getattr(owner, class_name)
        original = getattr(owner, function)
        wrapped = points.wrap(f"{module_name}.{attribute}", original)
        setattr(owner, function, wrapped)
        if not classes:
            for module in list(sys.modules.values()):
                if getattr(module, "__name__", "").startswith("runtime."):
                    for name, value in list(vars(module).items()):
                        if value is original:
                            setattr(module, name, wrapped)
