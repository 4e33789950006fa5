"""The body of `POST /containers/create` from the flags of create and run, shaped as the docker CLI sends it
(Config fields, with HostConfig and NetworkingConfig inside)."""

import argparse
from typing import Any

from porthole.cli.flags.keyvalues import string_map
from porthole.cli.flags.mounts import split_volumes
from runtime.errors import InvalidParameter


def create_body(args: argparse.Namespace) -> dict[str, Any]:
    """Everything but the name, which goes in the query. Raises InvalidParameter for flags that conflict."""
    if args.rm and args.restart and args.restart["Name"] != "no":
        raise InvalidParameter("conflicting options: --restart and --rm")
    binds, anonymous_volumes = split_volumes(args.volume)
    port_bindings: dict[str, list[dict[str, str]]] = {}
    for mappings in args.publish:
        for mapping in mappings:
            port_bindings.setdefault(mapping.port, []).append(
                {"HostIp": mapping.host_ip, "HostPort": mapping.host_port}
            )
    attached = not getattr(args, "detach", False)
    body: dict[str, Any] = {
        "Hostname": args.hostname,
        "User": args.user,
        "AttachStdin": attached and args.interactive,
        "AttachStdout": attached,
        "AttachStderr": attached,
        "Tty": args.tty,
        "OpenStdin": args.interactive,
        # docker sets it for `run -i` without -d: the end of the client's stdin is the end of the container's
        "StdinOnce": args.interactive and getattr(args, "detach", None) is False,
        "Env": [entry for entries in args.env_file for entry in entries] + args.env,
        "Cmd": args.command or None,
        "Image": args.image,
        "Volumes": anonymous_volumes,
        "WorkingDir": args.workdir,
        "Entrypoint": _entrypoint(args.entrypoint),
        "Labels": string_map(args.label),
        "ExposedPorts": {port: {} for port in port_bindings},
        "HostConfig": _host_config(args, binds, port_bindings),
        "NetworkingConfig": _networking_config(args),
    }
    if args.stop_signal:
        body["StopSignal"] = args.stop_signal
    if args.stop_timeout is not None:
        body["StopTimeout"] = args.stop_timeout
    return body


def _entrypoint(flag: str | None) -> list[str] | None:
    if flag is None:
        return None  # the image's
    return [flag]  # docker sends [""] for --entrypoint "": the image's entrypoint is cleared


def _host_config(
    args: argparse.Namespace, binds: list[str], port_bindings: dict[str, list[dict[str, str]]]
) -> dict[str, Any]:
    return {
        "Binds": binds,
        "LogConfig": {"Type": args.log_driver, "Config": string_map(args.log_opt)},
        "NetworkMode": args.network or "default",
        "PortBindings": port_bindings,
        "RestartPolicy": args.restart or {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": args.rm,
        "VolumesFrom": args.volumes_from,
        "VolumeDriver": args.volume_driver,
        "PublishAllPorts": args.publish_all,
        "Mounts": args.mount,
        "Memory": args.memory,
        "MemorySwap": args.memory_swap,
        "MemoryReservation": args.memory_reservation,
        "CpuShares": args.cpu_shares,
        "NanoCpus": args.cpus,
        "CpusetCpus": args.cpuset_cpus,
        "BlkioWeight": args.blkio_weight,
        "BlkioDeviceReadBps": args.device_read_bps,
        "BlkioDeviceWriteBps": args.device_write_bps,
        "BlkioDeviceReadIOps": args.device_read_iops,
        "BlkioDeviceWriteIOps": args.device_write_iops,
        "PidsLimit": args.pids_limit,
        "OomKillDisable": args.oom_kill_disable,
        **_isolation(args),
    }


def _isolation(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "Privileged": args.privileged,
        "CapAdd": args.cap_add or None,
        "CapDrop": args.cap_drop or None,
        "SecurityOpt": args.security_opt or None,
        "ReadonlyRootfs": args.read_only,
        "Tmpfs": dict(args.tmpfs) or None,
        "Devices": args.device,
        "DeviceCgroupRules": args.device_cgroup_rule or None,
        "Ulimits": args.ulimit,
        "GroupAdd": args.group_add or None,
        "Sysctls": dict(args.sysctl) or None,
        "ShmSize": args.shm_size,
        "Init": args.init or None,
        "OomScoreAdj": args.oom_score_adj,
        "PidMode": args.pid,
        "IpcMode": args.ipc,
        "UTSMode": args.uts,
        "CgroupnsMode": args.cgroupns,
        "UsernsMode": args.userns,
    }


def _networking_config(args: argparse.Namespace) -> dict[str, Any]:
    endpoint: dict[str, Any] = {}
    if args.ip:
        endpoint["IPAMConfig"] = {"IPv4Address": args.ip}
    if args.network_alias:
        endpoint["Aliases"] = args.network_alias
    if not endpoint:
        return {}
    return {"EndpointsConfig": {args.network or "default": endpoint}}
