"""The `tag` option: the subset of Go's text/template that Docker's log tags use.

Supported: literal text, `{{.Field}}` (and `.Map.key`), string and integer literals, pipes, and Docker's
template functions (json, split, join, title, lower, upper, pad, truncate) plus Go's `index` and `len`.
Written by hand because no Python library runs Go templates; names are checked when the option is parsed,
so a typo fails at container create, not at start.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from logdrivers.errors import InvalidLogOpt
from logdrivers.info import ContainerInfo

FIELDS: dict[str, Callable[[ContainerInfo], Any]] = {
    "ID": lambda i: i.short_id,
    "FullID": lambda i: i.id,
    "Name": lambda i: i.bare_name,
    "ImageID": lambda i: i.image_short_id,
    "ImageFullID": lambda i: i.image_id,
    "ImageName": lambda i: i.image_name,
    "DaemonName": lambda i: i.daemon_name,
    "Command": lambda i: i.command,
    "Hostname": lambda i: i.hostname,
    "ContainerID": lambda i: i.id,
    "ContainerName": lambda i: i.name,
    "ContainerEntrypoint": lambda i: i.entrypoint,
    "ContainerArgs": lambda i: list(i.args),
    "ContainerImageID": lambda i: i.image_id,
    "ContainerImageName": lambda i: i.image_name,
    "ContainerCreated": lambda i: i.created,
    "ContainerEnv": lambda i: list(i.env),
    "ContainerLabels": lambda i: dict(i.labels),
    "LogPath": lambda i: str(i.log_path),
}


def _pad(source: str, prefix: int, suffix: int) -> str:
    return " " * prefix + source + " " * suffix if source else source


def _index(collection: Any, *keys: Any) -> Any:
    for key in keys:
        collection = collection.get(key, "") if isinstance(collection, Mapping) else collection[key]
    return collection


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "json": lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
    "split": lambda s, sep: s.split(sep),
    "join": lambda items, sep: sep.join(items),
    "title": lambda s: re.sub(r"(?<![\w'])\w", lambda m: m[0].upper(), s),
    "lower": str.lower,
    "upper": str.upper,
    "pad": _pad,
    "truncate": lambda s, n: s[:n],
    "index": _index,
    "len": len,
}

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(
    r"\s*(?:(?P<field>(?:\.[A-Za-z_]\w*)+|\.(?![\w.]))|(?P<str>\"(?:[^\"\\]|\\.)*\")|(?P<raw>`[^`]*`)"
    r"|(?P<int>-?\d+)|(?P<func>[A-Za-z_]\w*)|(?P<pipe>\|))"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a", "b": "\b", "f": "\f"}


def _unquote(literal: str) -> str:
    def escape(m: re.Match[str]) -> str:
        code = m[1]
        return chr(int(code[1:], 16)) if code[0] in "xuU" else _ESCAPES[code]

    return re.sub(r"\\([ntr\"\\'abf]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})", escape, literal[1:-1])


Operand = tuple[str, Any]  # ("field", names) | ("const", value) | ("func", name)
Command = tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class TagTemplate:
    """A parsed tag: literal strings and pipelines (tuples of commands), in order."""

    source: str
    driver: str
    parts: tuple[str | tuple[Command, ...], ...]

    def render(self, info: ContainerInfo) -> str:
        """The tag for this container; a function given the wrong kind of value raises InvalidLogOpt."""
        out: list[str] = []
        try:
            for part in self.parts:
                out.append(part if isinstance(part, str) else _show(_run_pipeline(part, info)))
        except (TypeError, ValueError, LookupError, AttributeError) as exc:
            raise InvalidLogOpt("tag", self.driver, f"template '{self.source}': executing: {exc}") from None
        return "".join(out)


def _show(value: Any) -> str:
    """Go's fmt of a template value: lists as [a b], maps as map[k:v] with sorted keys."""
    if isinstance(value, list):
        return "[" + " ".join(_show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_show(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _value(operand: Operand, info: ContainerInfo) -> Any:
    kind, payload = operand
    if kind == "const":
        return payload
    value = FIELDS[payload[0]](info)
    for key in payload[1:]:
        value = value.get(key, "")
    return value


def _run_pipeline(pipeline: tuple[Command, ...], info: ContainerInfo) -> Any:
    piped: list[Any] = []
    for command in pipeline:
        head, *rest = command
        if head[0] == "func":
            piped = [FUNCTIONS[head[1]](*(_value(op, info) for op in rest), *piped)]
        else:
            piped = [_value(head, info)]
    return piped[0]


def _parse_command(tokens: list[tuple[str, str]], fail: Callable[[str], Exception]) -> Command:
    if not tokens:
        raise fail("empty command")
    operands: list[Operand] = []
    for kind, text in tokens:
        if kind == "field":
            names = tuple(text[1:].split(".")) if text != "." else ()
            if not names or names[0] not in FIELDS:
                raise fail(f"can't evaluate field {text}")
            operands.append(("field", names))
        elif kind == "func":
            if text not in FUNCTIONS:
                raise fail(f'function "{text}" not defined')
            operands.append(("func", text))
        else:
            value = int(text) if kind == "int" else text[1:-1] if kind == "raw" else _unquote(text)
            operands.append(("const", value))
    if operands[0][0] != "func" and len(operands) > 1:
        raise fail(f"can't give argument to non-function {tokens[0][1]}")
    if any(op[0] == "func" for op in operands[1:]):
        raise fail("a function may only start a command")
    return tuple(operands)


def _parse_pipeline(text: str, fail: Callable[[str], Exception]) -> tuple[Command, ...]:
    commands: list[Command] = []
    current: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip():
        match = _TOKEN.match(text, pos)
        if match is None:
            raise fail(f"unexpected {text[pos:].strip()!r} in action")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind == "pipe":
            commands.append(_parse_command(current, fail))
            current = []
        else:
            current.append((kind, match[kind]))
    commands.append(_parse_command(current, fail))
    for command in commands[1:]:
        if command[0][0] != "func":
            raise fail("only a function can take a piped value")
    return tuple(commands)


def parse_tag_template(text: str, driver: str) -> TagTemplate:
    """Parse the `tag` option; raises InvalidLogOpt naming the template's problem."""

    def fail(why: str) -> InvalidLogOpt:
        return InvalidLogOpt("tag", driver, f"template '{text}': {why}")

    parts: list[str | tuple[Command, ...]] = []
    pos = 0
    for match in _ACTION.finditer(text):
        literal = text[pos : match.start()]
        parts.append(literal.rstrip() if match[1] else literal)
        parts.append(_parse_pipeline(match[2], fail))
        pos = match.end()
        if match[3]:
            pos = len(text) - len(text[pos:].lstrip())
    if "{{" in text[pos:]:
        raise fail("unclosed action")
    parts.append(text[pos:])
    return TagTemplate(text, driver, tuple(p for p in parts if p != ""))
