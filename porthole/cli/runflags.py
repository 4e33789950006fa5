"""The flags of `porthole create` and `porthole run`: docker's names, with each value parsed as docker parses it,
so a bad value is refused before any request, naming the flag."""

import argparse

from porthole.cli.attaching import add_detach_keys_flag, add_sig_proxy_flag
from porthole.cli.command import add_help_flag, argtype
from porthole.cli.flags.keyvalues import env_entry, read_env_file
from porthole.cli.flags.mounts import parse_mount
from porthole.cli.flags.ports import parse_port_spec
from porthole.cli.flags.restart import restart_policy
from porthole.cli.flags.security import device, security_opt, sysctl, tmpfs, ulimit
from porthole.cli.flags.sizes import device_bps, device_iops, memory_swap, nano_cpus, ram_in_bytes


def add_create_arguments(parser: argparse.ArgumentParser) -> None:
    add_help_flag(parser)
    _add_config_flags(parser)
    _add_storage_and_network_flags(parser)
    _add_resource_flags(parser)
    _add_isolation_flags(parser)
    parser.add_argument("image", metavar="IMAGE")
    parser.add_argument(
        "command", metavar="COMMAND", nargs=argparse.REMAINDER, help="command and arguments (default: the image's)"
    )


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--detach", action="store_true", help="run in the background and print the ID")
    add_detach_keys_flag(parser)
    add_sig_proxy_flag(parser)
    add_create_arguments(parser)


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="assign a name to the container")
    parser.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        type=argtype(env_entry),
        metavar="K[=V]",
        help="set an environment variable (K alone takes it from this environment)",
    )
    parser.add_argument(
        "--env-file",
        action="append",
        default=[],
        type=argtype(read_env_file),
        metavar="FILE",
        help="read environment variables from a file",
    )
    parser.add_argument("-w", "--workdir", default="", help="working directory inside the container")
    parser.add_argument("-h", "--hostname", default="", help="container host name")
    parser.add_argument("-u", "--user", default="", help="user name or UID[:GID]")
    parser.add_argument("-l", "--label", action="append", default=[], metavar="K[=V]", help="set a label")
    parser.add_argument("--entrypoint", help="override the image's entrypoint ('' clears it)")
    parser.add_argument("--rm", action="store_true", help="remove the container when it exits")
    parser.add_argument("-i", "--interactive", action="store_true", help="keep stdin open; attached, send ours")
    parser.add_argument("-t", "--tty", action="store_true", help="a terminal for the container")
    parser.add_argument(
        "--restart",
        type=argtype(restart_policy),
        metavar="POLICY",
        help="no, always, unless-stopped or on-failure[:max-retries]",
    )
    parser.add_argument("--log-driver", default="", help="logging driver (default: the daemon's)")
    parser.add_argument("--log-opt", action="append", default=[], metavar="K=V", help="logging driver option")
    parser.add_argument("--stop-signal", help="signal that stops the container (default SIGTERM)")
    parser.add_argument("--stop-timeout", type=int, metavar="SECONDS", help="seconds to wait before killing")


def _add_storage_and_network_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--volume",
        action="append",
        default=[],
        metavar="[SRC:]DST[:OPTS]",
        help="bind mount a host path, mount a named volume, or make an anonymous one",
    )
    parser.add_argument("--volume-driver", default="", help="the driver of volumes that name none (a plugin)")
    parser.add_argument(
        "--volumes-from",
        action="append",
        default=[],
        metavar="CONTAINER[:ro|rw]",
        help="mount the volumes of another container",
    )
    parser.add_argument(
        "--mount",
        action="append",
        default=[],
        type=argtype(parse_mount),
        metavar="SPEC",
        help="type=bind|volume|tmpfs,source=...,target=...[,readonly]",
    )
    parser.add_argument(
        "-p",
        "--publish",
        action="append",
        default=[],
        type=argtype(parse_port_spec),
        metavar="[IP:][HOST:]CTR[/PROTO]",
        help="publish a container port on the host",
    )
    parser.add_argument("-P", "--publish-all", action="store_true", help="publish every exposed port")
    parser.add_argument("--network", "--net", default="", help="network to connect to (default bridge)")
    parser.add_argument("--ip", default="", help="IPv4 address on a user-defined network")
    parser.add_argument(
        "--network-alias", "--net-alias", action="append", default=[], metavar="ALIAS", help="DNS alias on the network"
    )


def _add_resource_flags(parser: argparse.ArgumentParser) -> None:
    size = argtype(ram_in_bytes)
    parser.add_argument("-m", "--memory", type=size, default=0, metavar="BYTES", help="memory limit (64m, 1g)")
    parser.add_argument(
        "--memory-swap",
        type=argtype(memory_swap),
        default=0,
        metavar="BYTES",
        help="memory plus swap limit; -1 for unlimited swap",
    )
    parser.add_argument("--memory-reservation", type=size, default=0, metavar="BYTES", help="memory soft limit")
    parser.add_argument("-c", "--cpu-shares", type=int, default=0, help="relative CPU weight")
    parser.add_argument("--cpus", type=argtype(nano_cpus), default=0, metavar="N", help="number of CPUs (1.5)")
    parser.add_argument("--cpuset-cpus", default="", metavar="LIST", help="CPUs allowed (0-1, 0,1)")
    parser.add_argument("--blkio-weight", type=int, default=0, help="block IO weight, 10 to 1000")
    for direction in ("read", "write"):
        parser.add_argument(
            f"--device-{direction}-bps",
            action="append",
            default=[],
            type=argtype(device_bps),
            metavar="DEV:RATE",
            help=f"limit {direction} rate in bytes per second (/dev/sda:1mb)",
        )
        parser.add_argument(
            f"--device-{direction}-iops",
            action="append",
            default=[],
            type=argtype(device_iops),
            metavar="DEV:RATE",
            help=f"limit {direction} rate in operations per second (/dev/sda:100)",
        )
    parser.add_argument("--pids-limit", type=int, help="process limit (-1 for unlimited)")
    parser.add_argument("--oom-kill-disable", action="store_true", help="do not OOM-kill the container")


def _add_isolation_flags(parser: argparse.ArgumentParser) -> None:
    many = {"action": "append", "default": []}
    parser.add_argument("--privileged", action="store_true", help="every capability the daemon holds, all devices")
    parser.add_argument("--cap-add", **many, metavar="CAP", help="add a Linux capability (ALL for all)")
    parser.add_argument("--cap-drop", **many, metavar="CAP", help="drop a Linux capability (ALL for all)")
    parser.add_argument(
        "--security-opt",
        **many,
        type=argtype(security_opt),
        metavar="OPT",
        help="seccomp=unconfined|PROFILE.json, no-new-privileges",
    )
    parser.add_argument("--read-only", action="store_true", help="mount the root filesystem read-only")
    parser.add_argument("--tmpfs", **many, type=argtype(tmpfs), metavar="PATH[:OPTS]", help="mount a tmpfs")
    parser.add_argument("--device", **many, type=argtype(device), metavar="HOST[:CTR][:rwm]", help="add a host device")
    parser.add_argument("--device-cgroup-rule", **many, metavar="RULE", help="allow devices ('c 1:3 rwm')")
    parser.add_argument("--ulimit", **many, type=argtype(ulimit), metavar="NAME=SOFT[:HARD]", help="set a ulimit")
    parser.add_argument("--group-add", **many, metavar="GROUP", help="add a supplementary group")
    parser.add_argument("--sysctl", **many, type=argtype(sysctl), metavar="K=V", help="set a namespaced sysctl")
    parser.add_argument("--shm-size", type=argtype(ram_in_bytes), default=0, metavar="BYTES", help="/dev/shm size")
    parser.add_argument("--init", action="store_true", help="run an init (tini) that forwards signals and reaps")
    parser.add_argument("--oom-score-adj", type=int, default=0, help="tune the OOM killer's preference (-1000..1000)")
    parser.add_argument("--pid", default="", metavar="MODE", help="PID namespace: host or container:NAME")
    parser.add_argument("--ipc", default="", metavar="MODE", help="IPC: private, shareable, host, container:NAME")
    parser.add_argument("--uts", default="", metavar="MODE", help="UTS namespace: host")
    parser.add_argument("--cgroupns", default="", metavar="MODE", help="cgroup namespace: host or private")
    parser.add_argument("--userns", default="", metavar="MODE", help="user namespace: host")
