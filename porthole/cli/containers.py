"""Looking at containers: `ps`, `inspect` (of any object, as docker's), `port`, `top`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from porthole.cli import output, templates
from porthole.cli.flags.keyvalues import parse_filters
from porthole.cli.flags.ports import port_key
from runtime.errors import NotFound

if TYPE_CHECKING:
    from porthole.cli.session import Session

PS_HEADERS = ("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES")


def add_ps_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", "--all", action="store_true", help="show all containers (default: running ones)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only IDs")
    parser.add_argument("-n", "--last", type=int, default=-1, metavar="N", help="the N last created containers")
    parser.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="status=, name=, label=, id=, ... (repeatable)",
    )
    parser.add_argument("--no-trunc", action="store_true", help="do not shorten IDs and commands")


def format_ports(ports: list[dict[str, Any]]) -> str:
    """`0.0.0.0:8080->80/tcp, 443/tcp`, sorted by container port."""
    shown = []
    for p in sorted(ports, key=lambda p: (p.get("PrivatePort", 0), p.get("Type", ""), p.get("IP", ""))):
        target = f"{p['PrivatePort']}/{p.get('Type', 'tcp')}"
        if p.get("PublicPort"):
            ip = p.get("IP") or "0.0.0.0"
            shown.append(f"{'[' + ip + ']' if ':' in ip else ip}:{p['PublicPort']}->{target}")
        else:
            shown.append(target)
    return ", ".join(dict.fromkeys(shown))


def ps_row(c: dict[str, Any], truncate: bool) -> list[str]:
    command = c.get("Command") or ""
    names = [n[1:] if n.startswith("/") else n for n in c.get("Names") or []]
    return [
        output.short_id(c["Id"]) if truncate else c["Id"],
        c.get("Image", ""),
        '"' + (output.ellipsis(command, 20) if truncate else command) + '"',
        output.ago(c.get("Created", 0)),
        c.get("Status", ""),
        format_ports(c.get("Ports") or []),
        ",".join(n for n in names if "/" not in n),
    ]


def ps(args: argparse.Namespace, session: Session) -> int:
    found = session.api.containers(all=args.all, limit=args.last, filters=parse_filters(args.filter) or None)
    if args.quiet:
        for c in found:
            print(output.short_id(c["Id"]) if not args.no_trunc else c["Id"])
        return 0
    output.table(PS_HEADERS, [ps_row(c, truncate=not args.no_trunc) for c in found])
    return 0


def add_inspect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--format", help="Go template: {{.State.Status}}, {{json .Config}}")
    parser.add_argument("names", nargs="+", metavar="NAME")


def _inspectors(session: Session) -> dict[str, Callable[[str], dict[str, Any]]]:
    api = session.api
    return {
        "container": api.inspect_container,
        "image": api.inspect_image,
        "network": api.inspect_network,
        "volume": api.inspect_volume,
    }


def print_inspected(objects: list[dict[str, Any]], template: str | None) -> None:
    if template is None:
        output.print_json(objects)
        return
    for obj in objects:
        print(templates.render(template, obj))


def inspect_objects(args: argparse.Namespace, session: Session, kinds: tuple[str, ...]) -> int:
    """Each name as the first kind that knows it, as `docker inspect` walks the object types."""
    inspectors, found, status = _inspectors(session), [], 0
    for name in args.names:
        for kind in kinds:
            try:
                found.append(inspectors[kind](name))
                break
            except Exception as e:
                if not session.is_not_found(e):
                    raise
        else:
            print(f"Error: No such {kinds[0] if len(kinds) == 1 else 'object'}: {name}", file=sys.stderr)
            status = 1
    print_inspected(found, args.format)
    return status


def add_generic_inspect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", choices=("container", "image", "network", "volume"), help="only this kind")
    add_inspect_arguments(parser)


def inspect(args: argparse.Namespace, session: Session) -> int:
    kinds = (args.type,) if args.type else ("container", "image", "network", "volume")
    return inspect_objects(args, session, kinds)


def container_inspect(args: argparse.Namespace, session: Session) -> int:
    return inspect_objects(args, session, ("container",))


def add_port_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("container", metavar="CONTAINER")
    parser.add_argument("port", nargs="?", metavar="PRIVATE_PORT[/PROTO]")


def _host_address(binding: dict[str, str]) -> str:
    ip = binding.get("HostIp") or "0.0.0.0"
    return f"{'[' + ip + ']' if ':' in ip else ip}:{binding.get('HostPort', '')}"


def port(args: argparse.Namespace, session: Session) -> int:
    ports = session.api.inspect_container(args.container)["NetworkSettings"].get("Ports") or {}
    if args.port:
        key = port_key(args.port)
        if not ports.get(key):
            raise NotFound(f"no public port {key!r} published for {args.container}")
        for binding in ports[key]:
            print(_host_address(binding))
        return 0
    for key in sorted(ports, key=lambda k: (int(k.partition("/")[0]), k)):
        for binding in ports[key] or []:
            print(f"{key} -> {_host_address(binding)}")
    return 0


def add_top_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("container", metavar="CONTAINER")
    parser.add_argument("ps_args", nargs=argparse.REMAINDER, metavar="PS_OPTIONS")


def top(args: argparse.Namespace, session: Session) -> int:
    listing = session.api.top(args.container, ps_args=" ".join(args.ps_args) or None)
    output.table(listing["Titles"], listing["Processes"])
    return 0
