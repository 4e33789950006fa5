"""Docker's JSON shapes for containers: inspect, the `ps` summary, the status texts `ps` prints, and `top`."""

import time
from typing import Any

from common import rfc3339
from common.durations import human_duration
from runtime.api.shapes.networks import network_settings, ps_ports
from runtime.api.shapes.volumes import mount
from runtime.engine.config import DaemonConfig
from runtime.engine.containers import ProcessTable
from runtime.engine.launch import Layout
from runtime.engine.model import CREATED, DEAD, PAUSED, REMOVING, RESTARTING, RUNNING, STARTING, Container, Health
from runtime.network import ContainerNetworking
from runtime.volumes import MountPoint


def _health_text(health: Health) -> str:
    """moby's Health.String(), as `docker ps` shows it after the uptime."""
    return "health: starting" if health.status == STARTING else health.status


def status_text(c: Container) -> str:
    """moby's State.String()."""
    state = c.state
    if state.status == RUNNING:
        up = f"Up {_since(state.started_at)}"
        return f"{up} ({_health_text(state.health)})" if state.health is not None else up
    if state.status == PAUSED:
        return f"Up {_since(state.started_at)} (Paused)"
    if state.status == RESTARTING:
        return f"Restarting ({state.exit_code}) {_since(state.finished_at)} ago"
    if state.status == CREATED:
        return "Created"
    if state.status == DEAD:
        return "Dead"
    if state.status == REMOVING:
        return "Removal In Progress"
    if state.finished_at == rfc3339.NEVER:
        return ""
    return f"Exited ({state.exit_code}) {_since(state.finished_at)} ago"


def _since(moment: str) -> str:
    return human_duration(time.time() - (rfc3339.unix_seconds(moment) or 0.0))


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
                "Start": rfc3339.format_ns(r.start_ns),
                "End": rfc3339.format_ns(r.end_ns),
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
        "Env": cfg.get("Env") or None,  # moby's merge: no -e and an image without Env leave it nil
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


def inspect(c: Container, config: DaemonConfig, networking: ContainerNetworking) -> dict[str, Any]:
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
        "NetworkSettings": network_settings(networking),
    }


def _mount(m: dict[str, Any]) -> dict[str, Any]:
    return mount(MountPoint(**m))


def command_text(c: Container) -> str:
    """moby's list: each argument holding a space in single quotes, the path never, so `docker ps` shows
    "sh -c 'exit 3'"."""
    return " ".join([c.path, *(f"'{arg}'" if " " in arg else arg for arg in c.args)])


def summary(c: Container, networking: ContainerNetworking) -> dict[str, Any]:
    return {
        "Id": c.id,
        "Names": ["/" + c.name],
        "Image": c.image_ref,
        "ImageID": c.image_id,
        "Command": command_text(c),
        "Created": int(rfc3339.unix_seconds(c.created) or 0.0),
        "Ports": ps_ports(networking),
        "Labels": c.config.get("Labels") or {},
        "State": c.state.status,
        "Status": status_text(c),
        "HostConfig": {"NetworkMode": c.host_config.get("NetworkMode", "bridge")},
        "NetworkSettings": {"Networks": network_settings(networking)["Networks"]},
        "Mounts": [_mount(m) for m in c.mounts],
    }


def top(table: ProcessTable) -> dict[str, Any]:
    return {"Titles": table.titles, "Processes": table.processes}
