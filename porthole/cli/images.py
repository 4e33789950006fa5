"""Looking at and naming images: `images`, `image inspect`, `history`, `tag`, `rmi`."""

from __future__ import annotations

import argparse
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

from porthole.cli import output
from porthole.cli.containers import inspect_objects
from porthole.cli.flags.keyvalues import parse_filters

if TYPE_CHECKING:
    from porthole.cli.session import Session

IMAGES_HEADERS = ("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE")
HISTORY_HEADERS = ("IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT")


def split_reference(reference: str) -> tuple[str, str]:
    """`busybox` → ("busybox", "latest"); a registry port is not a tag: `host:5000/app` → ("host:5000/app", ...)."""
    repository, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:
        return reference, "latest"
    return repository, tag


def add_images_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", "--all", action="store_true", help="also intermediate images")
    parser.add_argument("-q", "--quiet", action="store_true", help="only IDs")
    parser.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="reference=, dangling=, label= (repeatable)",
    )
    parser.add_argument("--no-trunc", action="store_true", help="do not shorten IDs")
    parser.add_argument("reference", nargs="?", metavar="REPOSITORY[:TAG]")


def tag_matches(repo_tag: str, pattern: str) -> bool:
    """docker's reference filter: `busybox` matches every tag of busybox, `busy*:1*` is a glob."""
    return fnmatch(repo_tag, pattern) or fnmatch(repo_tag, f"{pattern}:*")


def image_rows(found: list[dict[str, Any]], truncate: bool, references: list[str] | None = None) -> list[list[str]]:
    """One row per tag, newest image first; an untagged image is <none> <none>. With reference filters, only the
    tags they match are rows, as moby shows them (an image's other tags are left out)."""
    rows = []
    for image in sorted(found, key=lambda i: i.get("Created", 0), reverse=True):
        identifier = output.short_id(image["Id"]) if truncate else image["Id"]
        created, size = output.ago(image.get("Created", 0)), output.human_size(image.get("Size", 0))
        repo_tags = image.get("RepoTags") or ["<none>:<none>"]
        if references:
            repo_tags = [t for t in repo_tags if any(tag_matches(t, r) for r in references)]
        for repo_tag in repo_tags:
            repository, tag = repo_tag.rsplit(":", 1)
            rows.append([repository, tag, identifier, created, size])
    return rows


def images(args: argparse.Namespace, session: Session) -> int:
    filters = parse_filters(args.filter)
    if args.reference:
        filters.setdefault("reference", []).append(args.reference)
    found = session.api.images(all=args.all, filters=filters or None)
    if args.quiet:
        ids = (i["Id"] if args.no_trunc else output.short_id(i["Id"]) for i in found)
        for identifier in dict.fromkeys(ids):
            print(identifier)
        return 0
    output.table(IMAGES_HEADERS, image_rows(found, truncate=not args.no_trunc, references=filters.get("reference")))
    return 0


def image_inspect(args: argparse.Namespace, session: Session) -> int:
    return inspect_objects(args, session, ("image",))


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="only IDs")
    parser.add_argument("--no-trunc", action="store_true", help="do not shorten IDs and commands")
    parser.add_argument("image", metavar="IMAGE")


def history(args: argparse.Namespace, session: Session) -> int:
    layers = session.api.history(args.image)
    truncate = not args.no_trunc

    def shown_id(layer: dict[str, Any]) -> str:
        identifier = layer.get("Id") or "<missing>"
        return output.short_id(identifier) if truncate and identifier != "<missing>" else identifier

    if args.quiet:
        for layer in layers:
            print(shown_id(layer))
        return 0
    rows = [
        [
            shown_id(layer),
            output.ago(layer.get("Created", 0)),
            output.ellipsis(layer.get("CreatedBy", ""), 45) if truncate else layer.get("CreatedBy", ""),
            output.human_size(layer.get("Size", 0)),
            layer.get("Comment", ""),
        ]
        for layer in layers
    ]
    output.table(HISTORY_HEADERS, rows)
    return 0


def add_tag_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE_IMAGE[:TAG]")
    parser.add_argument("target", metavar="TARGET_IMAGE[:TAG]")


def tag(args: argparse.Namespace, session: Session) -> int:
    repository, tag_ = split_reference(args.target)
    session.api.tag(args.source, repository, tag_)
    return 0


def add_rmi_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="remove even if containers use it")
    parser.add_argument("--no-prune", action="store_true", help="keep untagged parents")
    parser.add_argument("images", nargs="+", metavar="IMAGE")


def rmi(args: argparse.Namespace, session: Session) -> int:
    def removal_lines(_: str, records: list[dict[str, str]]) -> str:
        return "\n".join(f"{action}: {target}" for record in records for action, target in record.items())

    return session.for_each(
        args.images,
        lambda name: session.api.remove_image(name, force=args.force, noprune=args.no_prune),
        show=removal_lines,
    )
