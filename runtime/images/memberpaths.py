"""Where a layer tar member may be written: names, link targets and parents checked inside the layer root.

A layer comes from outside, so every name is a potential attack on the host: absolute names, `..` that
climbs out, parents that are symlinks (`a -> /etc` then `a/passwd`), hard links to files outside the layer.
Each check refuses with the member's name and the reason; nothing is ever followed out of the root.
"""

import os
import posixpath
import stat
from pathlib import Path

from runtime.errors import InvalidParameter


def refuse(what: str, member: str, why: str) -> InvalidParameter:
    return InvalidParameter(f"images: {what}: layer member {member!r}: {why}")


def normalise_member_name(what: str, name: str) -> str:
    """The member's path relative to the layer root ("" for the root itself), or a refusal."""
    if not name:
        raise refuse(what, name, "empty name")
    if name.startswith("/"):
        raise refuse(what, name, "absolute names are refused")
    normalised = posixpath.normpath(name)
    if normalised == ".." or normalised.startswith("../"):
        raise refuse(what, name, "the name climbs out of the layer with '..'")
    return "" if normalised == "." else normalised


def ensure_parent_dirs(root: Path, what: str, member: str, relative_parent: str) -> Path:
    """Create missing parent directories; refuse parents that are symlinks or not directories."""
    current = root
    walked = ""
    for component in relative_parent.split("/") if relative_parent else ():
        current = current / component
        walked = posixpath.join(walked, component)
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            os.mkdir(current, 0o755)
            continue
        if stat.S_ISLNK(mode):
            raise refuse(what, member, f"parent {walked!r} is a symlink; writing through it is refused")
        if not stat.S_ISDIR(mode):
            raise refuse(what, member, f"parent {walked!r} is not a directory")
    return current


def existing_entry(root: Path, relative: str) -> os.stat_result | None:
    """lstat of a path in the layer, or None if it is absent or a parent is not a real directory."""
    current = root
    parts = relative.split("/") if relative else []
    for index, component in enumerate(parts):
        current = current / component
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return None
        if index < len(parts) - 1 and not stat.S_ISDIR(info.st_mode):
            return None
    return os.lstat(root) if not parts else info


def check_symlink_target(what: str, member: str, relative: str, target: str) -> None:
    """Absolute targets are normal in images (resolved in the container's root); relative ones must stay in."""
    if not target:
        raise refuse(what, member, "empty symlink target")
    if target.startswith("/"):
        return
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(relative), target))
    if resolved == ".." or resolved.startswith("../"):
        raise refuse(what, member, f"symlink target {target!r} climbs above the layer root")


def hard_link_source(root: Path, what: str, member: str, linkname: str) -> Path:
    """The in-layer file a hard link member points at; it must exist in this layer and not be a directory."""
    if not linkname or linkname.startswith("/"):
        raise refuse(what, member, f"hard link target {linkname!r} is outside the layer")
    target = posixpath.normpath(linkname)
    if target == "." or target == ".." or target.startswith("../"):
        raise refuse(what, member, f"hard link target {linkname!r} is outside the layer")
    info = existing_entry(root, target)
    if info is None:
        raise refuse(what, member, f"hard link target {linkname!r} does not exist in the layer")
    if stat.S_ISDIR(info.st_mode):
        raise refuse(what, member, f"hard link target {linkname!r} is a directory")
    return root / target
