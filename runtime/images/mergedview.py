"""Reading an image's merged tree without mounting it: the overlayfs rules applied in Python.

Used to fill a new volume from the image content at its VOLUME path (Docker copies it in when the volume
is empty). The top layer wins; a character device 0/0 is a whiteout that hides lower entries; a directory
with `trusted.overlay.opaque=y` hides the same directory in lower layers; a non-directory hides lower
directories of the same name. Symlinks on the way to the path resolve inside the image, never the host.
"""

import os
import posixpath
import shutil
import stat
from pathlib import Path

from runtime.errors import HostError, InsufficientStorage
from runtime.images.memberpaths import existing_entry
from runtime.images.upperdiff import is_opaque

_MAX_SYMLINK_HOPS = 40


def _is_whiteout(info: os.stat_result) -> bool:
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == 0


def _topmost(trees: list[Path], relative: str) -> tuple[Path, os.stat_result] | None:
    for tree in trees:
        info = existing_entry(tree, relative)
        if info is not None:
            return tree, info
    return None


def _directory_layers(trees: list[Path], relative: str) -> list[Path]:
    """Trees (top first) whose `relative` directory shows in the merge."""
    merged = []
    for tree in trees:
        info = existing_entry(tree, relative)
        if info is None:
            continue
        if not stat.S_ISDIR(info.st_mode):
            break
        merged.append(tree)
        if is_opaque(str(tree / relative)):
            break
    return merged


class _MergedTree:
    def __init__(self, trees_top_first: list[Path]) -> None:
        self._trees = trees_top_first

    def resolve_directory(self, path: str) -> tuple[str, list[Path]] | None:
        """The in-image path of directory `path` after symlinks, and its contributing trees; None if absent."""
        pending = [c for c in path.split("/") if c not in ("", ".")]
        root_layers = _directory_layers(self._trees, "")
        resolved: list[str] = []
        layers_at: list[list[Path]] = [root_layers]  # contributing trees of each resolved prefix
        hops = 0
        while pending:
            component = pending.pop(0)
            if component == "..":
                if resolved:
                    resolved.pop()
                    layers_at.pop()
                continue
            candidate = "/".join([*resolved, component])
            found = _topmost(layers_at[-1], candidate)
            if found is None or _is_whiteout(found[1]):
                return None
            tree, info = found
            if stat.S_ISLNK(info.st_mode):
                hops += 1
                if hops > _MAX_SYMLINK_HOPS:
                    return None
                target = os.readlink(tree / candidate)
                pending = [c for c in target.split("/") if c not in ("", ".")] + pending
                if target.startswith("/"):
                    resolved, layers_at = [], [root_layers]
                continue
            if not stat.S_ISDIR(info.st_mode):
                return None
            resolved.append(component)
            layers_at.append(_directory_layers(layers_at[-1], candidate))
        return "/".join(resolved), layers_at[-1]


class _Copier:
    def __init__(self) -> None:
        self._linked: dict[tuple[int, int], Path] = {}  # (device, inode) → first copy, to keep hard links

    def copy_directory(self, layers: list[Path], relative: str, dest: Path) -> None:
        names: list[str] = []
        for tree in layers:
            names.extend(n for n in os.listdir(tree / relative) if n not in names)
        for name in sorted(names):
            child = posixpath.join(relative, name) if relative else name
            tree, info = _topmost(layers, child)  # type: ignore[misc]
            if _is_whiteout(info):
                continue
            target = dest / name
            if stat.S_ISDIR(info.st_mode):
                os.mkdir(target, 0o700)
                self.copy_directory(_directory_layers(layers, child), child, target)
            else:
                self._copy_entry(tree / child, info, target)
            _copy_metadata(info, target)

    def _copy_entry(self, source: Path, info: os.stat_result, target: Path) -> None:
        if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
            first = self._linked.get((info.st_dev, info.st_ino))
            if first is not None:
                os.link(first, target)
                return
            self._linked[(info.st_dev, info.st_ino)] = target
        if stat.S_ISREG(info.st_mode):
            with open(source, "rb") as reader, open(target, "xb") as writer:
                shutil.copyfileobj(reader, writer, 1 << 20)
        elif stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), target)
        else:
            os.mknod(target, info.st_mode, info.st_rdev)


def _copy_metadata(info: os.stat_result, target: Path) -> None:
    os.chown(target, info.st_uid, info.st_gid, follow_symlinks=False)
    if not stat.S_ISLNK(info.st_mode):
        os.chmod(target, stat.S_IMODE(info.st_mode))
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns), follow_symlinks=False)


def copy_merged_directory(trees_base_first: list[Path], path_in_image: str, dest: Path) -> bool:
    """Copy the merged content of directory `path_in_image` into the existing directory `dest`.

    `dest` takes the directory's owner and mode, as Docker gives a fresh volume. Returns False (and copies
    nothing) when the path is absent from the image or not a directory.
    """
    merged = _MergedTree(list(reversed(trees_base_first)))
    found = merged.resolve_directory(path_in_image)
    if found is None:
        return False
    relative, layers = found
    try:
        _Copier().copy_directory(layers, relative, dest)
        _copy_metadata(os.lstat(layers[0] / relative), dest)
    except OSError as error:
        if InsufficientStorage.covers(error):  # a full disk: 507, as every other write's
            raise InsufficientStorage.naming(error, dest) from None
        raise HostError(f"images: copy {path_in_image} into {dest}: {error.strerror or error}") from error
    return True
