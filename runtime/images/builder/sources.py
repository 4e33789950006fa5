"""COPY and ADD sources: found in the build context (or a stage's or image's root for COPY --from), globbed as
Go's filepath.Match does, never outside that root, and hashed by content and metadata (not mtimes) for the
layer cache with Docker's own sums (tarsum.py), as the classic builder's `file:<hash>`, `dir:<hash>` and
`multi:<hash>` in the step's history.
"""

import posixpath
from dataclasses import dataclass

from runtime.errors import InvalidParameter
from runtime.images.builder.dockerignore import IgnoreRules, path_pattern
from runtime.images.builder.tarsum import hash_list
from runtime.images.builder.trees import SourceTree, SymlinkLoop, TreeEntry, resolve_inside

_GLOB_CHARS = "*?["
_NONE = TreeEntry(0, 0, 0, 0, 0)  # what an absent entry looks like to the hash and the walk


@dataclass(frozen=True, slots=True)
class Source:
    tree: SourceTree  # the tree it is read from
    relative: str  # its path inside the tree ("" is the root itself)
    is_dir: bool
    downloaded: bool = False  # ADD of a URL: hashed without the `file:` kind, as moby hashes a remote source


class SourceError(InvalidParameter):
    """A source that cannot be copied; the message is Docker's, after `COPY failed: `."""


def resolve_source(tree: SourceTree, relative: str) -> str:
    try:
        return resolve_inside(tree, relative)
    except SymlinkLoop:
        raise SourceError(f"too many levels of symbolic links: {relative}") from None


def _walk_files(tree: SourceTree, ignore: IgnoreRules | None, top: str = "") -> list[str]:
    """Every path below `top` (not ignored) in the order of Go's filepath.Walk: depth first, names sorted."""
    found = []
    pending = [f"{top}/{name}" if top else name for name in reversed(tree.children(top))]
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


def _followed_sum(tree: SourceTree, relative: str) -> str | None:
    """The sum of what `relative` names, its symlinks followed inside the tree: what is copied (as moby)."""
    return tree.entry_sum(resolve_source(tree, relative))


def _source_hash(source: Source, ignore: IgnoreRules | None) -> str:
    """moby's copy info hash: `file:<tarsum>` (a bare <tarsum> for a download), or for a directory `dir:` over
    the sorted sums of itself (unless it is the root) and of every path below it."""
    top = resolve_source(source.tree, source.relative)
    if not source.is_dir:
        tarsum = source.tree.entry_sum(top) or top
        return tarsum if source.downloaded else f"file:{tarsum}"
    paths = ([top] if top else []) + _walk_files(source.tree, ignore, top)
    sums = [found for path in paths if (found := _followed_sum(source.tree, path)) is not None]
    return hash_list("dir", sorted(sums))


def checksum(sources: list[Source], ignore: IgnoreRules | None) -> str:
    """`file:<hex>`, `dir:<hex>` or `multi:<hex>`, as Docker 20.10's classic builder writes them: what the
    step's history shows and the cache compares."""
    hashes = [_source_hash(source, ignore) for source in sources]
    return hashes[0] if len(hashes) == 1 else hash_list("multi", hashes)
