""".dockerignore as Docker reads it (moby/patternmatcher): one pattern a line, `#` comments, blank lines skipped,
each pattern cleaned like a path with a leading `/` dropped; `*` and `?` never cross a `/`, `**` crosses any
number of directories, `[...]` is a class, `\\` escapes; `!` re-includes; the last pattern that matches a path
decides; a path whose parent directory matches is matched too.
"""

import posixpath
import re
from dataclasses import dataclass

from runtime.errors import InvalidParameter


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str
    regex: re.Pattern[str]
    exclusion: bool


def _clean(text: str) -> str:
    cleaned = posixpath.normpath(text)
    cleaned = cleaned.lstrip("/") or "."
    return cleaned


def path_pattern(pattern: str) -> re.Pattern[str]:
    """A cleaned pattern as a regular expression over `/`-separated relative paths."""
    out = "^"
    at = 0
    while at < len(pattern):
        char = pattern[at]
        if char == "*":
            if pattern.startswith("**", at):
                at += 2
                if pattern.startswith("/", at):  # `**/` : zero or more directories
                    at += 1
                    out += "(.*/)?"
                    continue
                out += ".*"
                continue
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.find("]", at + 1)
            if end == -1:
                raise InvalidParameter(f"syntax error in pattern {pattern!r}")
            body = pattern[at + 1 : end]
            if body.startswith("^") or body.startswith("!"):
                body = "^" + body[1:]
            out += f"[{body}]"
            at = end
        elif char == "\\" and at + 1 < len(pattern):
            at += 1
            out += re.escape(pattern[at])
        else:
            out += re.escape(char)
        at += 1
    return re.compile(out + "$")


class IgnoreRules:
    def __init__(self, text: str) -> None:
        self._patterns: list[_Pattern] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
                if not line:
                    raise InvalidParameter('error reading .dockerignore: illegal exclusion pattern: "!"')
            cleaned = _clean(line)
            self._patterns.append(_Pattern(cleaned, path_pattern(cleaned), exclusion))

    @property
    def has_exclusions(self) -> bool:
        """With `!` patterns, an ignored directory may still hold re-included paths: it must be walked."""
        return any(p.exclusion for p in self._patterns)

    def ignored(self, path: str) -> bool:
        """True if the context path `path` (relative, `/`-separated) is left out of the build."""
        parents = _parents(path)
        result = False
        for pattern in self._patterns:
            if pattern.regex.match(path) or any(pattern.regex.match(parent) for parent in parents):
                result = not pattern.exclusion
        return result


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
