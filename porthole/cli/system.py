"""`porthole version`, `porthole info` and `porthole events`."""

from __future__ import annotations

import argparse
import platform
from datetime import datetime
from typing import TYPE_CHECKING, Any

from porthole.cli import output
from porthole.cli.command import argtype
from porthole.cli.flags.keyvalues import parse_filters
from porthole.cli.flags.times import api_timestamp

if TYPE_CHECKING:
    from porthole.cli.session import Session


def add_no_arguments(parser: argparse.ArgumentParser) -> None:
    """A verb without flags or arguments."""


def _section(title: str, fields: list[tuple[str, Any]], indent: str) -> list[str]:
    width = max(len(name) for name, _ in fields) + 2
    return [title] + [f"{indent}{(name + ':').ljust(width)}{value}" for name, value in fields]


def version(args: argparse.Namespace, session: Session) -> int:
    from importlib.metadata import version as installed_version

    client = _section(
        "Client:",
        [
            ("Version", installed_version("porthole")),
            ("Python version", platform.python_version()),
            ("OS/Arch", f"{platform.system().lower()}/{platform.machine()}"),
        ],
        " ",
    )
    print("\n".join(client) + "\n", flush=True)
    server = session.api.version()
    engine = _section(
        " Engine:",
        [
            ("Version", server.get("Version", "")),
            ("API version", f"{server.get('ApiVersion', '')} (minimum version {server.get('MinAPIVersion', '')})"),
            ("Runtime version", server.get("GoVersion", "")),
            ("Git commit", server.get("GitCommit", "")),
            ("Built", server.get("BuildTime", "")),
            ("OS/Arch", f"{server.get('Os', '')}/{server.get('Arch', '')}"),
            ("Kernel version", server.get("KernelVersion", "")),
        ],
        "  ",
    )
    print("\n".join([f"Server: {(server.get('Platform') or {}).get('Name', '')}", *engine]))
    return 0


def info(args: argparse.Namespace, session: Session) -> int:
    about = session.api.info()
    lines = _section(
        "Server:",
        [
            ("Containers", about.get("Containers", 0)),
            (" Running", about.get("ContainersRunning", 0)),
            (" Paused", about.get("ContainersPaused", 0)),
            (" Stopped", about.get("ContainersStopped", 0)),
            ("Images", about.get("Images", 0)),
            ("Server Version", about.get("ServerVersion", "")),
            ("Storage Driver", about.get("Driver", "")),
            ("Logging Driver", about.get("LoggingDriver", "")),
            ("Cgroup Driver", about.get("CgroupDriver", "")),
            ("Cgroup Version", about.get("CgroupVersion", "")),
            ("Log plugins", " ".join((about.get("Plugins") or {}).get("Log") or [])),
            ("Default Runtime", about.get("DefaultRuntime", "")),
            ("Kernel Version", about.get("KernelVersion", "")),
            ("Operating System", about.get("OperatingSystem", "")),
            ("OSType", about.get("OSType", "")),
            ("Architecture", about.get("Architecture", "")),
            ("CPUs", about.get("NCPU", 0)),
            ("Total Memory", output.bytes_size(about.get("MemTotal", 0))),
            ("Name", about.get("Name", "")),
            ("ID", about.get("ID", "")),
            ("Docker Root Dir", about.get("DockerRootDir", "")),
            ("Live Restore Enabled", str(bool(about.get("LiveRestoreEnabled"))).lower()),
        ],
        " ",
    )
    print("\n".join(lines))
    for warning in about.get("Warnings") or []:
        print(warning)
    return 0


def add_events_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        type=argtype(api_timestamp),
        metavar="TIME",
        help="replay events since a time or a duration before now (10m)",
    )
    parser.add_argument(
        "--until",
        type=argtype(api_timestamp),
        metavar="TIME",
        help="stop at a time or a duration before now (default: stream until interrupted)",
    )
    parser.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="type=, event=, container=, image=, label=, network=, volume= (repeatable)",
    )


def event_line(event: dict[str, Any]) -> str:
    """`2024-05-01T10:00:00.123456789+02:00 container start <id> (image=busybox, name=web)`, in local time."""
    nanos = event.get("timeNano") or event.get("time", 0) * 1_000_000_000
    seconds, fraction = divmod(nanos, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds).astimezone()
    zone = stamp.strftime("%z")
    when = stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:09d}{zone[:3]}:{zone[3:]}"
    actor = event.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    text = f"{when} {event.get('Type', '')} {event.get('Action', '')} {actor.get('ID', '')}"
    if attributes:
        text += " (" + ", ".join(f"{k}={v}" for k, v in sorted(attributes.items())) + ")"
    return text


def events(args: argparse.Namespace, session: Session) -> int:
    for event in session.api.events(
        since=args.since, until=args.until, filters=parse_filters(args.filter) or None, decode=True
    ):
        print(event_line(event), flush=True)
    return 0
