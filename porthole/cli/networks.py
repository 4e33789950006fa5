"""`porthole network create|ls|inspect|rm|prune|connect|disconnect`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from porthole.cli import output
from porthole.cli.containers import inspect_objects
from porthole.cli.flags.keyvalues import parse_filters, string_map
from porthole.cli.volumes import confirmed

if TYPE_CHECKING:
    from porthole.cli.session import Session


def add_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--driver", default="bridge", help="network driver (default bridge)")
    parser.add_argument("--subnet", help="subnet in CIDR form (10.10.0.0/24)")
    parser.add_argument("--gateway", help="gateway address of the subnet")
    parser.add_argument("--ip-range", help="allocate container addresses from this sub-range")
    parser.add_argument("--internal", action="store_true", help="no route out of the network")
    parser.add_argument("--attachable", action="store_true", help="containers may join it (overlay networks)")
    parser.add_argument(
        "--aux-address", action="append", default=[], metavar="NAME=IP", help="an address no container gets"
    )
    parser.add_argument(
        "-o",
        "--opt",
        action="append",
        default=[],
        metavar="K=V",
        help="driver option (com.docker.network.bridge.name=...)",
    )
    parser.add_argument("--label", action="append", default=[], metavar="K[=V]", help="set a label")
    parser.add_argument("name", metavar="NAME")


def create(args: argparse.Namespace, session: Session) -> int:
    from docker.types import IPAMConfig, IPAMPool

    ipam = None
    if args.subnet or args.gateway or args.ip_range or args.aux_address:
        pool = IPAMPool(
            subnet=args.subnet,
            gateway=args.gateway,
            iprange=args.ip_range,
            aux_addresses=string_map(args.aux_address) or None,
        )
        ipam = IPAMConfig(pool_configs=[pool])
    created = session.api.create_network(
        args.name,
        driver=args.driver,
        options=string_map(args.opt),
        ipam=ipam,
        internal=args.internal,
        labels=string_map(args.label),
        attachable=args.attachable or None,
    )
    print(created["Id"])
    return 0


def add_ls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="only IDs")
    parser.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="driver=, id=, label=, name=, type= (repeatable)",
    )
    parser.add_argument("--no-trunc", action="store_true", help="do not shorten IDs")


def ls(args: argparse.Namespace, session: Session) -> int:
    found = sorted(session.api.networks(filters=parse_filters(args.filter) or None), key=lambda n: n["Name"])
    ids = [n["Id"] if args.no_trunc else output.short_id(n["Id"]) for n in found]
    if args.quiet:
        for identifier in ids:
            print(identifier)
        return 0
    output.table(
        ("NETWORK ID", "NAME", "DRIVER", "SCOPE"),
        [[i, n["Name"], n.get("Driver", ""), n.get("Scope", "")] for i, n in zip(ids, found, strict=True)],
    )
    return 0


def inspect(args: argparse.Namespace, session: Session) -> int:
    return inspect_objects(args, session, ("network",))


def add_rm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="no error for a network that does not exist")
    parser.add_argument("names", nargs="+", metavar="NETWORK")


def rm(args: argparse.Namespace, session: Session) -> int:
    def remove(name: str) -> bool:
        try:
            session.api.remove_network(name)
        except Exception as e:
            if args.force and session.is_not_found(e):
                return False  # docker's network rm -f: one that is not there is already removed
            raise
        return True

    return session.for_each(args.names, remove, show=lambda name, removed: name if removed else None)


def add_prune_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE", help="label=, until=")


def prune(args: argparse.Namespace, session: Session) -> int:
    if not confirmed("WARNING! This will remove all custom networks not used by at least one container.", args.force):
        return 0
    deleted = session.api.prune_networks(filters=parse_filters(args.filter) or None).get("NetworksDeleted") or []
    if deleted:
        print("Deleted Networks:\n" + "\n".join(deleted))
    return 0


def add_connect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ip", help="IPv4 address on the network")
    parser.add_argument("--alias", action="append", default=[], metavar="ALIAS", help="DNS alias on the network")
    parser.add_argument("network", metavar="NETWORK")
    parser.add_argument("container", metavar="CONTAINER")


def connect(args: argparse.Namespace, session: Session) -> int:
    session.api.connect_container_to_network(
        args.container, args.network, ipv4_address=args.ip, aliases=args.alias or None
    )
    return 0


def add_disconnect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="disconnect even if the container is gone")
    parser.add_argument("network", metavar="NETWORK")
    parser.add_argument("container", metavar="CONTAINER")


def disconnect(args: argparse.Namespace, session: Session) -> int:
    session.api.disconnect_container_from_network(args.container, args.network, force=args.force)
    return 0
