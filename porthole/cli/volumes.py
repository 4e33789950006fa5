"""`porthole volume create|ls|inspect|rm|prune`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from porthole.cli import output
from porthole.cli.containers import inspect_objects
from porthole.cli.flags.keyvalues import parse_filters, string_map

if TYPE_CHECKING:
    from porthole.cli.session import Session


def add_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--driver", default="local", help="volume driver (default local)")
    parser.add_argument("-o", "--opt", action="append", default=[], metavar="K=V", help="driver option")
    parser.add_argument("--label", action="append", default=[], metavar="K[=V]", help="set a label")
    parser.add_argument("name", nargs="?", metavar="NAME", help="default: a random name")


def create(args: argparse.Namespace, session: Session) -> int:
    volume = session.api.create_volume(
        args.name, driver=args.driver, driver_opts=string_map(args.opt), labels=string_map(args.label)
    )
    print(volume["Name"])
    return 0


def add_ls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="only names")
    parser.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="dangling=, driver=, label=, name= (repeatable)",
    )


def ls(args: argparse.Namespace, session: Session) -> int:
    found = session.api.volumes(filters=parse_filters(args.filter) or None).get("Volumes") or []
    found.sort(key=lambda v: v["Name"])
    if args.quiet:
        for volume in found:
            print(volume["Name"])
        return 0
    output.table(("DRIVER", "VOLUME NAME"), [[v.get("Driver", ""), v["Name"]] for v in found])
    return 0


def inspect(args: argparse.Namespace, session: Session) -> int:
    return inspect_objects(args, session, ("volume",))


def add_rm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="remove even if in use")
    parser.add_argument("names", nargs="+", metavar="VOLUME")


def rm(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(args.names, lambda name: session.api.remove_volume(name, force=args.force))


def add_prune_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", "--all", action="store_true", help="also named volumes, not only anonymous ones")
    parser.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE", help="label= (repeatable)")


def confirmed(question: str, force: bool) -> bool:
    """docker's prompt: yes only for y or yes; no prompt with --force."""
    if force:
        return True
    sys.stderr.write(f"{question}\nAre you sure you want to continue? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def prune(args: argparse.Namespace, session: Session) -> int:
    which = "local volumes" if args.all else "anonymous local volumes"
    if not confirmed(f"WARNING! This will remove all {which} not used by at least one container.", args.force):
        return 0
    filters = parse_filters(args.filter)
    if args.all:
        filters["all"] = ["true"]
    result = session.api.prune_volumes(filters=filters or None)
    deleted = result.get("VolumesDeleted") or []
    if deleted:
        print("Deleted Volumes:\n" + "\n".join(deleted) + "\n")
    print(f"Total reclaimed space: {output.human_size(result.get('SpaceReclaimed') or 0)}")
    return 0
