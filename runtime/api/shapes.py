"""Docker's JSON shapes for containers: inspect, the `ps` summary, and the status texts `ps` prints."""

import time
from typing import Any

from runtime.engine import clock
from runtime.engine.config import DaemonConfig
from runtime.engine.launch import Layout
from runtime.engine.model import CREATED, DEAD, PAUSED, REMOVING, RESTARTING, RUNNING, STARTING, Container, Health
from runtime.volumes import MountPoint


def human_duration(seconds: float) -> str:
    """go-units HumanDuration, which `docker ps` prints in STATUS."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def _health_text(health: Health) -> str:
    """moby's Health.String(), as `docker ps` shows it after the uptime."""
    return "health: starting" if health.status == STARTING else health.status


def status_text(c: Container) -> str:
    """moby's State.String()."""
    state, now = c.state, time.time()
    if state.status == RUNNING:
        up = f"Up {human_duration(now - clock.parse_rfc3339(state.started_at))}"
        return f"{up} ({_health_text(state.health)})" if state.health is not None else up
    if state.status == PAUSED:
        return f"Up {human_duration(now - clock.parse_rfc3339(state.started_at))} (Paused)"
    if state.status == RESTARTING:
        return f"Restarting ({state.exit_code}) {human_duration(now - clock.parse_rfc3339(state.finished_at))} ago"
    if state.status == CREATED:
        return "Created"
    if state.status == DEAD:
        return "Dead"
    if state.status == REMOVING:
        return "Removal In Progress"
    if state.finished_at == clock.NEVER:
        return ""
    return f"Exited ({state.exit_code}) {human_duration(now - clock.parse_rfc3339(state.finished_at))} ago"


def _state(c: Container) -> dict[str, Any]:
    s = c.state
    return {
        "Status": s.status,
        "Running": s.status in (RUNNING, PAUSED, RESTARTING),  # moby counts a restarting container as running
        "Paused": s.status == PAUSED,
        "Restarting": s.status == RESTARTING,
        "OOMKilled": s.oom_killed,
        "Dead": s.status == DEAD,
        "Pid": s.pid,
        "ExitCode": s.exit_code,
        "Error": s.error,
        "StartedAt": s.started_at,
        "FinishedAt": s.finished_at,
        **({"Health": _health(s.health)} if s.health is not None else {}),
    }


def _health(health: Health) -> dict[str, Any]:
    return {
        "Status": health.status,
        "FailingStreak": health.failing_streak,
        "Log": [
            {
                "Start": clock.rfc3339_nano(r.start_ns),
                "End": clock.rfc3339_nano(r.end_ns),
                "ExitCode": r.exit_code,
                "Output": r.output,
            }
            for r in health.log
        ],
    }


def _config(c: Container) -> dict[str, Any]:
    cfg = c.config
    return {
        "Hostname": cfg.get("Hostname") or c.short_id,
        "Domainname": cfg.get("Domainname") or "",
        "User": cfg.get("User") or "",
        "AttachStdin": bool(cfg.get("AttachStdin")),
        "AttachStdout": bool(cfg.get("AttachStdout")),
        "AttachStderr": bool(cfg.get("AttachStderr")),
        "ExposedPorts": cfg.get("ExposedPorts"),
        "Tty": bool(cfg.get("Tty")),
        "OpenStdin": bool(cfg.get("OpenStdin")),
        "StdinOnce": bool(cfg.get("StdinOnce")),
        "Env": cfg.get("Env") or [],
        "Cmd": cfg.get("Cmd"),
        "Image": c.image_ref,
        "Volumes": cfg.get("Volumes"),
        "WorkingDir": cfg.get("WorkingDir") or "",
        "Entrypoint": cfg.get("Entrypoint"),
        "OnBuild": None,
        "Labels": cfg.get("Labels") or {},
        **({"Healthcheck": cfg["Healthcheck"]} if cfg.get("Healthcheck") else {}),
        **({"Shell": cfg["Shell"]} if cfg.get("Shell") else {}),
        **({"StopSignal": cfg["StopSignal"]} if cfg.get("StopSignal") else {}),
        **({"StopTimeout": cfg["StopTimeout"]} if cfg.get("StopTimeout") is not None else {}),
    }


def _host_config(c: Container) -> dict[str, Any]:
    defaults = {
        "Binds": None,
        "ContainerIDFile": "",
        "NetworkMode": "bridge",
        "PortBindings": {},
        "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": False,
        "VolumeDriver": "",
        "VolumesFrom": None,
        "CapAdd": None,
        "CapDrop": None,
        "Dns": [],
        "DnsOptions": [],
        "DnsSearch": [],
        "ExtraHosts": None,
        "IpcMode": "private",
        "Links": None,
        "OomScoreAdj": 0,
        "PidMode": "",
        "Privileged": False,
        "PublishAllPorts": False,
        "ReadonlyRootfs": False,
        "SecurityOpt": None,
        "UTSMode": "",
        "UsernsMode": "",
        "ShmSize": 67108864,
        "Runtime": "runc",
        "Isolation": "",
        "CpuShares": 0,
        "Memory": 0,
        "NanoCpus": 0,
        "CgroupParent": "",
        "BlkioWeight": 0,
        "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [],
        "CpuPeriod": 0,
        "CpuQuota": 0,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": "",
        "CpusetMems": "",
        "Devices": [],
        "DeviceCgroupRules": None,
        "DeviceRequests": None,
        "MemoryReservation": 0,
        "MemorySwap": 0,
        "MemorySwappiness": None,
        "OomKillDisable": False,
        "PidsLimit": None,
        "Ulimits": None,
        "MaskedPaths": None,
        "ReadonlyPaths": None,
    }
    return {**defaults, **{k: v for k, v in c.host_config.items() if v is not None or k not in defaults}}


def inspect(c: Container, config: DaemonConfig, network_settings: dict[str, Any]) -> dict[str, Any]:
    layout = Layout(config, c.id)
    fs = layout.directory / "fs"
    return {
        "Id": c.id,
        "Created": c.created,
        "Path": c.path,
        "Args": c.args,
        "State": _state(c),
        "Image": c.image_id,
        "ResolvConfPath": str(layout.etc_file("resolv.conf")),
        "HostnamePath": str(layout.etc_file("hostname")),
        "HostsPath": str(layout.etc_file("hosts")),
        "LogPath": str(layout.log_path) if c.host_config["LogConfig"]["Type"] == "json-file" else "",
        "Name": "/" + c.name,
        "RestartCount": c.state.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": _host_config(c),
        "GraphDriver": {
            "Name": "overlay2",
            "Data": {
                "LowerDir": ":".join(reversed(c.layers)),
                "UpperDir": str(fs / "upper"),
                "WorkDir": str(fs / "work"),
                "MergedDir": str(layout.exec_dir / "rootfs"),
            },
        },
        "Mounts": [_mount(m) for m in c.mounts],
        "Config": _config(c),
        "NetworkSettings": network_settings,
    }


def _mount(m: dict[str, Any]) -> dict[str, Any]:
    return MountPoint(**m).to_api()


def summary(c: Container, ports: list[dict[str, Any]], networks: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": c.id,
        "Names": ["/" + c.name],
        "Image": c.image_ref,
        "ImageID": c.image_id,
        "Command": " ".join(c.argv),
        "Created": int(clock.parse_rfc3339(c.created)),
        "Ports": ports,
        "Labels": c.config.get("Labels") or {},
        "State": c.state.status,
        "Status": status_text(c),
        "HostConfig": {"NetworkMode": c.host_config.get("NetworkMode", "bridge")},
        "NetworkSettings": {"Networks": networks},
        "Mounts": [_mount(m) for m in c.mounts],
    }
