"""A container page's tables, from `GET /containers/{id}/json`: its limits and its configuration.

Pure functions of the inspect JSON (porthole's or Docker's), returning (label, text) rows for the page and
the JSON API alike.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from web.formatting import size_text

MASK = "••••••"

Rows = list[tuple[str, str]]


def cpu_limit_cores(host_config: Mapping[str, Any]) -> float | None:
    """The CPU limit in cores: --cpus (NanoCpus), else --cpu-quota over --cpu-period; None if unlimited."""
    nano = host_config.get("NanoCpus") or 0
    if nano > 0:
        return nano / 1e9
    quota, period = host_config.get("CpuQuota") or 0, host_config.get("CpuPeriod") or 100_000
    return quota / period if quota > 0 else None


def limits_rows(info: Mapping[str, Any]) -> Rows:
    """Memory, swap, CPU shares, CPUs, quota, cpuset, pids and block I/O limits as configured."""
    hc = info.get("HostConfig") or {}
    cores = cpu_limit_cores(hc)
    swap = hc.get("MemorySwap") or 0
    rows = [
        ("Memory limit", _size_or(hc.get("Memory"), "unlimited")),
        ("Memory reservation", _size_or(hc.get("MemoryReservation"), "none")),
        ("Memory + swap limit", "unlimited" if swap == -1 else _size_or(swap, "default (twice the memory limit)")),
        ("CPU shares", str(hc.get("CpuShares") or "1024 (default)")),
        ("CPUs", "unlimited" if cores is None else f"{cores:g}"),
        ("CPU quota / period", _quota(hc)),
        ("Cpuset CPUs", hc.get("CpusetCpus") or "all"),
        ("Cpuset memory nodes", hc.get("CpusetMems") or "all"),
        ("Pids limit", str(hc["PidsLimit"]) if (hc.get("PidsLimit") or 0) > 0 else "unlimited"),
        ("Block I/O weight", str(hc.get("BlkioWeight") or "default")),
    ]
    for key, label, unit in (
        ("BlkioDeviceReadBps", "Read limit", "/s"),
        ("BlkioDeviceWriteBps", "Write limit", "/s"),
        ("BlkioDeviceReadIOps", "Read ops limit", ""),
        ("BlkioDeviceWriteIOps", "Write ops limit", ""),
    ):
        for device in hc.get(key) or ():
            rate = device.get("Rate", 0)
            value = f"{size_text(rate)}{unit}" if unit else f"{rate} ops/s"
            rows.append((f"{label} {device.get('Path', '')}", value))
    return rows


def _size_or(value: int | None, otherwise: str) -> str:
    return size_text(value) if value and value > 0 else otherwise


def _quota(hc: Mapping[str, Any]) -> str:
    quota, period = hc.get("CpuQuota") or 0, hc.get("CpuPeriod") or 0
    if quota <= 0:
        return "none"
    return f"{quota} µs / {period or 100_000} µs"


def configuration_rows(info: Mapping[str, Any], *, reveal_env: bool) -> Rows:
    """Image, command, user, mounts, ports, networks, restart policy, log driver, then each env variable
    (values masked unless revealed: they often hold passwords) and label."""
    config = info.get("Config") or {}
    hc = info.get("HostConfig") or {}
    command = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    policy = hc.get("RestartPolicy") or {}
    log_config = hc.get("LogConfig") or {}
    log_options = ", ".join(f"{k}={v}" for k, v in sorted((log_config.get("Config") or {}).items()))
    rows = [
        ("Image", f"{config.get('Image') or ''} ({(info.get('Image') or '')[:19]})"),
        ("Command", shlex.join(command) if command else "–"),
        ("Working directory", config.get("WorkingDir") or "/"),
        ("User", config.get("User") or "root (default)"),
        ("Hostname", config.get("Hostname") or "–"),
        ("TTY", "yes" if config.get("Tty") else "no"),
        ("Restart policy", _policy(policy)),
        ("Log driver", (log_config.get("Type") or "–") + (f" ({log_options})" if log_options else "")),
        ("Network mode", hc.get("NetworkMode") or "default"),
    ]
    rows += [("Mount", _mount(m)) for m in info.get("Mounts") or ()]
    rows += [("Port", text) for text in _ports(info)]
    for name, network in sorted(((info.get("NetworkSettings") or {}).get("Networks") or {}).items()):
        address = network.get("IPAddress") or "no address"
        prefix = f"/{network['IPPrefixLen']}" if network.get("IPPrefixLen") else ""
        rows.append(("Network", f"{name}: {address}{prefix}"))
    for variable in config.get("Env") or ():
        key, _, value = variable.partition("=")
        rows.append(("Env", f"{key}={value if reveal_env else MASK}"))
    rows += [("Label", f"{k}={v}") for k, v in sorted((config.get("Labels") or {}).items())]
    return rows


def _policy(policy: Mapping[str, Any]) -> str:
    name = policy.get("Name") or "no"
    retries = policy.get("MaximumRetryCount") or 0
    return f"{name} (at most {retries} retries)" if name == "on-failure" and retries else name


def _mount(mount: Mapping[str, Any]) -> str:
    source = mount.get("Name") or mount.get("Source") or ""
    mode = "rw" if mount.get("RW", True) else "ro"
    return f"{mount.get('Type', 'bind')} {source} → {mount.get('Destination', '')} ({mode})"


def _ports(info: Mapping[str, Any]) -> list[str]:
    out = []
    for port, bindings in sorted(((info.get("NetworkSettings") or {}).get("Ports") or {}).items()):
        if not bindings:
            out.append(f"{port} (not published)")
            continue
        for binding in bindings:
            out.append(f"{port} → {binding.get('HostIp') or '0.0.0.0'}:{binding.get('HostPort', '')}")
    return out
