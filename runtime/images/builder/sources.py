"""COPY and ADD sources: found in the build context (or a stage's or image's root for COPY --from), globbed as
Go's filepath.Match does, never outside that root, and hashed by content and metadata (not mtimes) for the
layer cache, as the classic builder's `file:<hash>`, `dir:<hash>` and `multi:<hash>` in the step's history.
"""

import hashlib
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import InvalidParameter
from runtime.images.builder.dockerignore import IgnoreRules, path_pattern

_GLOB_CHARS = "*?["
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Source:
    root: Path  # the tree it is read from
    relative: str  # its path inside `root` ("" is the root itself)
    is_dir: bool

    @property
    def path(self) -> Path:
        return self.root / self.relative if self.relative else self.root


class SourceError(InvalidParameter):
    """A source that cannot be copied; the message is Docker's, after `COPY failed: `."""


def resolve_inside(root: Path, relative: str) -> str:
    """`relative` with symlinks resolved inside `root` (a link to /etc means <root>/etc), never above it."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            hops += 1
            if hops > 40:
                raise SourceError(f"too many levels of symbolic links: {relative}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return "/".join(resolved)


def _walk_files(root: Path, ignore: IgnoreRules | None) -> list[str]:
    found = []
    for directory, dirs, files in os.walk(root):
        relative_dir = os.path.relpath(directory, root)
        prefix = "" if relative_dir == "." else relative_dir + "/"
        for name in sorted(dirs + files):
            relative = prefix + name
            if ignore is None or not ignore.ignored(relative):
                found.append(relative)
        dirs.sort()
    return found


def find_sources(root: Path, patterns: list[str], ignore: IgnoreRules | None) -> list[Source]:
    """Every source `patterns` name in `root`; Docker's errors for paths outside it or missing."""
    sources: list[Source] = []
    for pattern in patterns:
        cleaned = posixpath.normpath(pattern)
        cleaned = cleaned.lstrip("/") or "." if cleaned.startswith("/") else cleaned
        if cleaned == ".." or cleaned.startswith("../"):
            raise SourceError(f"forbidden path outside the build context: {pattern} ()")
        cleaned = "" if cleaned == "." else cleaned
        if any(char in cleaned for char in _GLOB_CHARS):
            regex = path_pattern(cleaned)
            matched = [r for r in _walk_files(root, ignore) if regex.match(r)]
            if not matched:
                raise SourceError("no source files were specified")
            sources.extend(_source(root, r) for r in matched)
            continue
        relative = resolve_inside(root, cleaned)
        if (cleaned and ignore is not None and ignore.ignored(cleaned)) or not os.path.lexists(root / relative):
            raise SourceError(
                f"file not found in build context or excluded by .dockerignore: stat {pattern}: file does not exist"
            )
        sources.append(_source(root, relative))
    return sources


def _source(root: Path, relative: str) -> Source:
    return Source(root, relative, stat.S_ISDIR(os.stat(root / relative if relative else root).st_mode))


def _file_digest(path: Path, update: "hashlib._Hash") -> None:
    with open(path, "rb") as content:
        while chunk := content.read(_HASH_CHUNK):
            update.update(chunk)


def _entry_hash(path: Path, name: str, ignore: IgnoreRules | None, in_context: str) -> str:
    digest = hashlib.sha256()
    info = os.lstat(path)
    digest.update(f"{name}\0{stat.S_IFMT(info.st_mode)}\0{stat.S_IMODE(info.st_mode)}\0".encode())
    if stat.S_ISLNK(info.st_mode):
        digest.update(os.readlink(path).encode())
    elif stat.S_ISREG(info.st_mode):
        _file_digest(path, digest)
    elif stat.S_ISDIR(info.st_mode):
        for child in sorted(os.listdir(path)):
            child_context = f"{in_context}/{child}" if in_context else child
            if ignore is not None and ignore.ignored(child_context):
                continue
            digest.update(_entry_hash(path / child, child, ignore, child_context).encode())
    return digest.hexdigest()


def checksum(sources: list[Source], ignore: IgnoreRules | None) -> str:
    """`file:<hex>`, `dir:<hex>` or `multi:<hex>`: what the step's history shows and the cache compares."""
    hashes = [_entry_hash(s.path, "", ignore, s.relative) for s in sources]
    if len(sources) == 1:
        return f"{'dir' if sources[0].is_dir else 'file'}:{hashes[0]}"
    return f"multi:{hashlib.sha256(''.join(hashes).encode()).hexdigest()}"
