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


def ensure_parent_dirs(root: str, what: str, member: str, relative_parent: str, known_dirs: set[str]) -> str:
    """Create missing parent directories; refuse parents that are symlinks or not directories.

    `known_dirs` holds the relative paths already checked to be real directories (the caller forgets
    the ones it removes), which spares an lstat per component per member on big layers.
    """
    walked = ""
    for component in relative_parent.split("/") if relative_parent else ():
        walked = f"{walked}/{component}" if walked else component
        if walked in known_dirs:
            continue
        current = os.path.join(root, walked)
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            os.mkdir(current, 0o755)
            known_dirs.add(walked)
            continue
        if stat.S_ISLNK(mode):
            raise refuse(what, member, f"parent {walked!r} is a symlink; writing through it is refused")
        if not stat.S_ISDIR(mode):
            raise refuse(what, member, f"parent {walked!r} is not a directory")
        known_dirs.add(walked)
    return os.path.join(root, relative_parent) if relative_parent else root


def existing_entry(root: str | Path, relative: str, known_dirs: set[str] | None = None) -> os.stat_result | None:
    """lstat of a path in the layer, or None if it is absent or a parent is not a real directory."""
    if not relative:
        return os.lstat(root)
    parent = posixpath.dirname(relative)
    if known_dirs is not None and (not parent or parent in known_dirs):
        try:
            return os.lstat(os.path.join(root, relative))
        except FileNotFoundError:
            return None
    current = str(root)
    parts = relative.split("/")
    for index, component in enumerate(parts):
        current = os.path.join(current, component)
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return None
        if index < len(parts) - 1 and not stat.S_ISDIR(info.st_mode):
            return None
    return info


def check_symlink_target(what: str, member: str, relative: str, target: str) -> None:
    """Absolute targets are normal in images (resolved in the container's root); relative ones must stay in."""
    if not target:
        raise refuse(what, member, "empty symlink target")
    if target.startswith("/"):
        return
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(relative), target))
    if resolved == ".." or resolved.startswith("../"):
        raise refuse(what, member, f"symlink target {target!r} climbs above the layer root")


def hard_link_source(root: str, what: str, member: str, linkname: str, known_dirs: set[str]) -> str:
    """The in-layer file a hard link member points at; it must exist in this layer and not be a directory."""
    if not linkname or linkname.startswith("/"):
        raise refuse(what, member, f"hard link target {linkname!r} is outside the layer")
    target = posixpath.normpath(linkname)
    if target == "." or target == ".." or target.startswith("../"):
        raise refuse(what, member, f"hard link target {linkname!r} is outside the layer")
    info = existing_entry(root, target, known_dirs)
    if info is None:
        raise refuse(what, member, f"hard link target {linkname!r} does not exist in the layer")
    if stat.S_ISDIR(info.st_mode):
        raise refuse(what, member, f"hard link target {linkname!r} is a directory")
    return os.path.join(root, target)
