"""--device, --device-cgroup-rule and --privileged's devices: the nodes a container's /dev gets and the device
cgroup rules that let it open them (moby oci/devices_linux.go, runc's GetDevices)."""

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import InvalidParameter
from runtime.shim.isolation import Device

# moby daemon: a rule as the device cgroup (v1 devices.allow) spells it
_CGROUP_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")
_PERMISSIONS = re.compile(r"^[rwm]{1,3}$")
# runc GetDevices: what a privileged container does not get from the host's /dev
_SKIPPED_DIRS = frozenset({"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"})
_SKIPPED_NAMES = frozenset({"console"})
ALLOW_ALL = "a *:* rwm"


@dataclass(frozen=True)
class DevicePlan:
    nodes: tuple[Device, ...]  # made in the container's /dev
    cgroup_rules: tuple[str, ...]  # allowed beyond the default list


def _device_at(host_path: str) -> os.stat_result:
    try:
        st = os.stat(host_path)
    except OSError as e:
        raise InvalidParameter(
            f'error gathering device information while adding custom device "{host_path}": {e.strerror.lower()}'
        ) from None
    return st


def _node(st: os.stat_result, path_in_container: str, path_on_host: str) -> Device | None:
    if stat.S_ISCHR(st.st_mode):
        kind = "c"
    elif stat.S_ISBLK(st.st_mode):
        kind = "b"
    else:
        return None
    return Device(path_in_container, kind, os.major(st.st_rdev), os.minor(st.st_rdev), st.st_mode & 0o7777, st.st_uid,
                  st.st_gid, path_on_host)  # fmt: skip


def _user_device(entry: Mapping[str, Any]) -> list[tuple[Device, str]]:
    fields = [entry.get(k) for k in ("PathOnHost", "PathInContainer", "CgroupPermissions")]
    if not all(f is None or isinstance(f, str) for f in fields):
        raise InvalidParameter("invalid JSON: HostConfig.Devices: PathOnHost, PathInContainer and "
                               "CgroupPermissions are strings")  # fmt: skip
    host = fields[0] or ""
    inside = fields[1] or host
    permissions = fields[2] or "rwm"
    if not _PERMISSIONS.match(permissions):
        raise InvalidParameter(f"invalid device mode: {permissions}")
    st = _device_at(host)
    if stat.S_ISDIR(st.st_mode):  # moby: every device under a directory, at the same place under the target
        found = []
        for directory, _, files in os.walk(host):
            for name in files:
                node = _node(
                    os.stat(os.path.join(directory, name)),
                    os.path.join(inside, directory[len(host) :].lstrip("/"), name),
                    os.path.join(directory, name),
                )
                if node:
                    found.append((node, permissions))
        return found
    node = _node(st, inside, host)
    if node is None:
        raise InvalidParameter(
            f'error gathering device information while adding custom device "{host}": not a device node'
        )
    return [(node, permissions)]


def host_devices(dev: Path = Path("/dev")) -> list[Device]:
    """Every device node of the host's /dev, for --privileged."""
    devices = []
    for directory, dirs, files in os.walk(dev):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        for name in files:
            if name in _SKIPPED_NAMES:
                continue
            path = os.path.join(directory, name)
            try:
                node = _node(os.lstat(path), path, path)
            except FileNotFoundError:  # gone while we walked
                continue
            if node:
                devices.append(node)
    return devices


def check_cgroup_rules(rules: list[str]) -> None:
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise InvalidParameter("invalid JSON: HostConfig.DeviceCgroupRules: expected a list of strings")
    for rule in rules:
        if not _CGROUP_RULE.match(rule):
            raise InvalidParameter(f"invalid device cgroup format '{rule}'")


def plan_devices(host_config: Mapping[str, Any], with_nodes: bool = True) -> DevicePlan:
    """Validates at create; with_nodes at start also walks the host's /dev for --privileged."""
    rules = host_config.get("DeviceCgroupRules") or []
    check_cgroup_rules(rules)
    rules = list(rules)
    if host_config.get("Privileged"):
        return DevicePlan(tuple(host_devices()) if with_nodes else (), (ALLOW_ALL,))
    nodes = []
    devices = host_config.get("Devices") or []
    if not isinstance(devices, list):
        raise InvalidParameter("invalid JSON: HostConfig.Devices: expected a list of objects")
    for entry in devices:
        if not isinstance(entry, Mapping):
            raise InvalidParameter(f"invalid JSON: HostConfig.Devices: expected objects, got {entry!r:.60}")
        for node, permissions in _user_device(entry):
            nodes.append(node)
            rules.append(f"{node.type} {node.major}:{node.minor} {permissions}")
    return DevicePlan(tuple(nodes), tuple(rules))
