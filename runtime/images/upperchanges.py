"""`docker diff`: what a container changed, read from its overlay upper directory against the image's layers,
by the rules of moby's archive.Changes for overlay (pkg/archive/changes.go, overlayDeletedFile).

An entry of the upper directory is Added when no lower layer has it, Changed when one has, Deleted when it is
a whiteout (a character device 0/0) or an opaque directory. A directory present below with the same size,
mode and mtime is not reported (a copy-up only because something inside changed); the parent of an added or
deleted entry is reported Changed once. Only lstat is used: nothing in a layer is ever followed.
The paths the runtime makes to mount on are not the container's changes (Docker keeps them in an init layer);
a directory holding them (/etc for /etc/hosts) is compared by mode and owner only, as making them moved its mtime.
"""

import enum
import os
import stat
from dataclasses import dataclass

from runtime.images.memberpaths import existing_entry
from runtime.images.treetar import OwnerMap
from runtime.images.upperdiff import is_opaque, is_placeholder, walk_sorted


class ChangeKind(enum.IntEnum):
    """Docker's numbering: the API's `Kind`."""

    MODIFIED = 0
    ADDED = 1
    DELETED = 2


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # absolute, as the container sees it
    kind: ChangeKind


def _in_lower(lowers_top_first: list[str], relative: str) -> os.stat_result | None:
    for tree in lowers_top_first:
        info = existing_entry(tree, relative)
        if info is not None:
            return None if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0 else info
    return None


def _same_directory(
    upper: os.stat_result, lower: os.stat_result, holds_placeholders: bool, owners: OwnerMap | None
) -> bool:
    if not stat.S_ISDIR(lower.st_mode):
        return False
    upper_owner = owners(upper.st_uid, upper.st_gid) if owners else (upper.st_uid, upper.st_gid)
    same_owner_and_mode = (upper.st_mode, *upper_owner) == (lower.st_mode, lower.st_uid, lower.st_gid)
    if holds_placeholders:
        return same_owner_and_mode
    return same_owner_and_mode and upper.st_size == lower.st_size and upper.st_mtime_ns == lower.st_mtime_ns


def upper_changes(
    upper: str, lowers_top_first: list[str], placeholders: frozenset[str], owners: OwnerMap | None = None
) -> list[Change]:
    """`owners`: the upper directory's owners as the lower layers' would be (a remapped container's, shifted
    back), so a directory copied up unchanged is not reported."""
    placeholder_parents = {p.rpartition("/")[0] for p in placeholders}
    changes: list[Change] = []
    changed_dirs: set[str] = set()
    for relative, info in walk_sorted(upper):
        if is_placeholder(relative, info, placeholders):
            continue
        path = "/" + relative
        if (stat.S_ISCHR(info.st_mode) and info.st_rdev == 0) or (
            stat.S_ISDIR(info.st_mode) and is_opaque(os.path.join(upper, relative))
        ):
            kind = ChangeKind.DELETED
        else:
            below = _in_lower(lowers_top_first, relative)
            if below is None:
                kind = ChangeKind.ADDED
            elif stat.S_ISDIR(info.st_mode) and _same_directory(info, below, relative in placeholder_parents, owners):
                continue
            else:
                kind = ChangeKind.MODIFIED
        if stat.S_ISDIR(info.st_mode):
            changed_dirs.add(path)
        if kind != ChangeKind.MODIFIED:
            parent = os.path.dirname(path)
            if parent != "/" and parent not in changed_dirs:
                changes.append(Change(parent, ChangeKind.MODIFIED))
                changed_dirs.add(parent)
        changes.append(Change(path, kind))
    return changes
