"""The Dockerfile's lines as the classic builder reads them (moby builder/dockerfile/parser): parser directives
at the top (`# escape=`, `# syntax=`), comments dropped, lines joined at the escape token, then each logical line
split into its instruction, its `--flags` and the rest. What an instruction's arguments mean is decided in
`instructions`; this module only finds them, with the line each one starts on.
"""

import re
from dataclasses import dataclass

from runtime.errors import InvalidParameter

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = ("escape", "syntax")
# Leading `--name=value` words are flags for every instruction (moby's parser takes them so; each
# instruction refuses the flags it does not know).
_FLAG = re.compile(r"--([a-zA-Z][a-zA-Z0-9-]*)(?:=(.*))?")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Line:
    """One instruction: `keyword` upper-case, `flags` as given, `rest` with flags removed, `original` as written
    (continuations joined), `start` its first line number (1-based)."""

    keyword: str
    flags: tuple[tuple[str, str | None], ...]
    rest: str
    original: str
    start: int


@dataclass(frozen=True, slots=True)
class Dockerfile:
    lines: tuple[Line, ...]
    escape: str
    warnings: tuple[str, ...]


def parse_error(line: int, why: str) -> InvalidParameter:
    return InvalidParameter(f"dockerfile parse error line {line}: {why}")


def _directives(raw_lines: list[str]) -> tuple[dict[str, str], int]:
    """Directives are `# key=value` comments before anything else; the first other line ends them."""
    found: dict[str, str] = {}
    for index, text in enumerate(raw_lines):
        match = _DIRECTIVE.match(text.strip())
        if match is None:
            return found, index
        key = match.group(1).lower()
        if key not in _KNOWN_DIRECTIVES:
            return found, index  # an unknown directive is a comment, and ends the directives
        if key in found:
            raise InvalidParameter(f"failed to parse Dockerfile: only one {key} parser directive can be used")
        found[key] = match.group(2)
    return found, len(raw_lines)


def _split_flags(text: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """Leading `--name[=value]` words (moby's extractBuilderFlags); a bare `--` ends them."""
    flags = []
    rest = text.lstrip()
    while rest.startswith("--"):
        word = _WORD.match(rest).group()  # type: ignore[union-attr]
        rest = rest[len(word) :].lstrip()
        if word == "--":
            break
        match = _FLAG.fullmatch(word)
        if match is None:
            raise InvalidParameter(f"invalid flag {word!r}")
        flags.append((match.group(1), match.group(2)))
    return tuple(flags), rest


def _logical_lines(raw_lines: list[str], first: int, escape: str) -> tuple[list[tuple[int, str]], list[str]]:
    """(start line, joined text) per instruction; comment lines inside a continuation are dropped too."""
    result: list[tuple[int, str]] = []
    warnings: list[str] = []
    pending: str | None = None
    start = 0
    empty_continuations = 0
    for number, text in enumerate(raw_lines[first:], start=first + 1):
        stripped = text.strip()
        if stripped.startswith("#"):
            continue
        if not stripped:
            if pending is not None:
                empty_continuations += 1
            continue
        if pending is None:
            start, pending = number, ""
        body = text.rstrip()
        if body.endswith(escape):
            pending += body[: -len(escape)]
            continue
        pending += body
        result.append((start, pending.strip()))
        pending = None
    if pending is not None and pending.strip():
        result.append((start, pending.strip()))
    if empty_continuations:
        warnings.append("[WARNING]: Empty continuation lines will become errors in a future release.")
    return result, warnings


def parse_dockerfile(text: str, name: str = "Dockerfile") -> Dockerfile:
    """Raises InvalidParameter with Docker's texts: empty file, no instructions, bad escape token."""
    if not text.strip():
        raise InvalidParameter(f"the Dockerfile ({name}) cannot be empty")
    raw_lines = text.replace("\r\n", "\n").split("\n")
    if raw_lines and raw_lines[0].startswith("\ufeff"):
        raw_lines[0] = raw_lines[0][1:]  # a UTF-8 byte order mark, as moby strips it
    directives, first = _directives(raw_lines)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise InvalidParameter(f"failed to parse Dockerfile: invalid escape token '{escape}' does not match ` or \\")
    warnings: list[str] = []
    if "syntax" in directives:
        warnings.append(
            f"[WARNING]: the syntax parser directive ({directives['syntax']}) is ignored: it needs BuildKit"
        )
    joined, join_warnings = _logical_lines(raw_lines, first, escape)
    warnings.extend(join_warnings)
    if not joined:
        raise InvalidParameter("failed to parse Dockerfile: file with no instructions")
    lines = []
    for start, original in joined:
        keyword = _WORD.match(original).group()  # type: ignore[union-attr]
        try:
            flags, remainder = _split_flags(original[len(keyword) :])
        except InvalidParameter as error:
            raise parse_error(start, error.message) from None
        lines.append(Line(keyword.upper(), flags, remainder.strip(), original, start))
    return Dockerfile(tuple(lines), escape, tuple(warnings))
