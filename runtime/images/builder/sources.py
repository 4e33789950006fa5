"""COPY and ADD sources: found in the build context (or a stage's or image's root for COPY --from), globbed as
Go's filepath.Match does, never outside that root, and hashed by content and metadata (not mtimes) for the
layer cache, as the classic builder's `file:<hash>`, `dir:<hash>` and `multi:<hash>` in the step's history.
"""

import hashlib
import posixpath
import stat
from dataclasses import dataclass

from runtime.errors import InvalidParameter
from runtime.images.builder.dockerignore import IgnoreRules, path_pattern
from runtime.images.builder.trees import SourceTree, SymlinkLoop, TreeEntry, resolve_inside

_GLOB_CHARS = "*?["
_NONE = TreeEntry(0, 0, 0, 0, 0)  # what an absent entry looks like to the hash and the walk


@dataclass(frozen=True, slots=True)
class Source:
    tree: SourceTree  # the tree it is read from
    relative: str  # its path inside the tree ("" is the root itself)
    is_dir: bool


class SourceError(InvalidParameter):
    """A source that cannot be copied; the message is Docker's, after `COPY failed: `."""


def resolve_source(tree: SourceTree, relative: str) -> str:
    try:
        return resolve_inside(tree, relative)
    except SymlinkLoop:
        raise SourceError(f"too many levels of symbolic links: {relative}") from None


def _walk_files(tree: SourceTree, ignore: IgnoreRules | None) -> list[str]:
    """Every path of the tree (not ignored) in the order of Go's filepath.Walk: depth first, names sorted."""
    found = []
    pending = [f"{name}" for name in reversed(tree.children(""))]
    while pending:
        relative = pending.pop()
        if ignore is None or not ignore.ignored(relative):
            found.append(relative)
        if (tree.entry(relative) or _NONE).is_dir:
            pending.extend(f"{relative}/{name}" for name in reversed(tree.children(relative)))
    return found


def find_sources(tree: SourceTree, patterns: list[str], ignore: IgnoreRules | None) -> list[Source]:
    """Every source `patterns` name in `tree`; Docker's errors for paths outside it or missing."""
    sources: list[Source] = []
    for pattern in patterns:
        cleaned = posixpath.normpath(pattern)
        cleaned = cleaned.lstrip("/") or "." if cleaned.startswith("/") else cleaned
        if cleaned == ".." or cleaned.startswith("../"):
            raise SourceError(f"forbidden path outside the build context: {pattern} ()")
        cleaned = "" if cleaned == "." else cleaned
        if any(char in cleaned for char in _GLOB_CHARS):
            regex = path_pattern(cleaned)
            matched = [r for r in _walk_files(tree, ignore) if regex.match(r)]
            if not matched:
                raise SourceError("no source files were specified")
            sources.extend(_source(tree, r) for r in matched)
            continue
        relative = resolve_source(tree, cleaned)
        if (cleaned and ignore is not None and ignore.ignored(cleaned)) or tree.entry(relative) is None:
            raise SourceError(
                f"file not found in build context or excluded by .dockerignore: stat {pattern}: file does not exist"
            )
        sources.append(_source(tree, relative))
    return sources


def _source(tree: SourceTree, relative: str) -> Source:
    """A source as COPY sees it: a symlink that a glob matched counts as what it points to, as os.stat says."""
    found = tree.entry(relative)
    if found is not None and found.is_symlink:
        found = tree.entry(resolve_source(tree, relative))
    return Source(tree, relative, found is not None and found.is_dir)


def _entry_hash(tree: SourceTree, relative: str, name: str, ignore: IgnoreRules | None) -> str:
    digest = hashlib.sha256()
    found = tree.entry(relative) or _NONE
    digest.update(f"{name}\0{stat.S_IFMT(found.mode)}\0{stat.S_IMODE(found.mode)}\0".encode())
    if found.is_symlink:
        digest.update(found.linkname.encode())
    elif found.is_regular:
        digest.update(tree.content_digest(relative).encode())  # hashed once (the context: as it arrived)
    elif found.is_dir:
        for child in tree.children(relative):
            child_relative = f"{relative}/{child}" if relative else child
            if ignore is not None and ignore.ignored(child_relative):
                continue
            digest.update(_entry_hash(tree, child_relative, child, ignore).encode())
    return digest.hexdigest()


def checksum(sources: list[Source], ignore: IgnoreRules | None) -> str:
    """`file:<hex>`, `dir:<hex>` or `multi:<hex>`: what the step's history shows and the cache compares."""
    hashes = [_entry_hash(s.tree, s.relative, "", ignore) for s in sources]
    if len(sources) == 1:
        return f"{'dir' if sources[0].is_dir else 'file'}:{hashes[0]}"
    return f"multi:{hashlib.sha256(''.join(hashes).encode()).hexdigest()}"
