"""Each Dockerfile line checked and shaped as the classic builder's instruction parser does (moby
builder/dockerfile/instructions/parse.go), before any step runs: a bad line fails the build with
`dockerfile parse error line N: <why>` and nothing is made. Variables are not expanded here; dispatch does
that when the step runs, with the environment of that moment.
"""

import re
from dataclasses import dataclass, field

from runtime.errors import InvalidParameter
from runtime.images.builder.dockerfile import Dockerfile, Line, parse_error
from runtime.images.changes import json_array
from runtime.images.healthcheck import InvalidHealthcheck, parse_healthcheck
from runtime.images.shellwords import split_words

_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*")
_ALLOWED_FLAGS = {
    "FROM": ("platform",),
    "COPY": ("from", "chown", "chmod"),
    "ADD": ("chown", "chmod"),
    "HEALTHCHECK": ("interval", "timeout", "start-period", "start-interval", "retries"),
    "RUN": ("mount", "network", "security"),  # refused when the step runs: they need BuildKit
}
_NOT_ONBUILD = ("ONBUILD", "FROM", "MAINTAINER")


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    args: tuple[str, ...]  # words (exec form: the JSON strings), not yet expanded
    line: Line
    json_form: bool = False  # RUN/CMD/ENTRYPOINT/SHELL/VOLUME/COPY/ADD given as a JSON array
    # ENV and LABEL: args are `name=value` words (the legacy `ENV NAME value` made into one)
    flags: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The arguments as one string: the shell-form command, WORKDIR's path, the ONBUILD trigger."""
        return self.line.rest


@dataclass(frozen=True, slots=True)
class Stage:
    base: Instruction  # its FROM
    name: str | None
    steps: tuple[Instruction, ...]


@dataclass(frozen=True, slots=True)
class Program:
    meta_args: tuple[Instruction, ...]  # ARGs before the first FROM
    stages: tuple[Stage, ...]
    escape: str


def _flags(line: Line) -> dict[str, str]:
    allowed = _ALLOWED_FLAGS.get(line.keyword, ())
    flags: dict[str, str] = {}
    for name, value in line.flags:
        if name not in allowed:
            raise parse_error(line.start, f"Unknown flag: {name}")
        flags[name] = value if value is not None else ""
    return flags


def _at_least_one(line: Line, words: list[str]) -> None:
    if not words:
        raise parse_error(line.start, f"{line.keyword} requires at least one argument")


def _one(line: Line) -> None:
    if not line.rest:
        raise parse_error(line.start, f"{line.keyword} requires exactly one argument")


def _shape(line: Line, escape: str) -> Instruction:
    keyword, rest = line.keyword, line.rest
    flags = _flags(line)
    exec_form = json_array(rest)
    if keyword in ("RUN", "CMD", "ENTRYPOINT"):
        if keyword == "RUN" and not rest:
            raise parse_error(line.start, "RUN requires at least one argument")
        return Instruction(
            keyword, tuple(exec_form if exec_form is not None else [rest]), line, exec_form is not None, flags
        )
    if keyword == "SHELL":
        if exec_form is None:
            raise parse_error(line.start, "SHELL requires the arguments to be in JSON form")
        if not exec_form:
            raise parse_error(line.start, "SHELL requires at least one argument")
        return Instruction(keyword, tuple(exec_form), line, True)
    if keyword in ("COPY", "ADD", "VOLUME"):
        # the shell form split at whitespace alone, as moby's parseStringsWhitespaceDelimited: quotes are the
        # expansion's business, word by word (so `VOLUME /a ["/b"]` is /a and [/b], and `COPY "a b" /x` fails)
        words = exec_form if exec_form is not None else rest.split()
        if keyword == "VOLUME":
            _at_least_one(line, words)
        elif len(words) < 2:
            raise parse_error(
                line.start,
                f"{keyword} requires at least two arguments, but only one was provided. Destination could not be "
                "determined",
            )
        return Instruction(keyword, tuple(words), line, exec_form is not None, flags)
    if keyword in ("ENV", "LABEL"):
        words = split_words(rest, escape)
        if not words:
            raise parse_error(line.start, f"{keyword} requires at least one argument")
        if "=" not in words[0]:
            # the legacy form `ENV NAME value with spaces`: one pair, the value the rest of the line
            if len(words) < 2:
                raise InvalidParameter(f"failed to parse Dockerfile: {keyword} must have two arguments")
            return Instruction(keyword, (f"{words[0]}={rest[len(words[0]) :].strip()}",), line, flags=flags)
        for word in words:
            if "=" not in word:
                raise parse_error(
                    line.start, f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value'
                )
            if word.startswith("="):
                raise parse_error(line.start, f"{keyword} names must not be empty")
        return Instruction(keyword, tuple(words), line, flags=flags)
    if keyword in ("ARG", "EXPOSE"):
        words = split_words(rest, escape)
        _at_least_one(line, words)
        if keyword == "EXPOSE":
            words.sort()  # as written, before expansion, as moby's parseExpose (its history shows that order)
        return Instruction(keyword, tuple(words), line, flags=flags)
    if keyword in ("WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER"):
        _one(line)
        return Instruction(keyword, (rest,), line, flags=flags)
    if keyword == "ONBUILD":
        trigger = rest.split(None, 1)[0].upper() if rest else ""
        if not trigger:
            raise parse_error(line.start, "ONBUILD requires at least one argument")
        if trigger in _NOT_ONBUILD:
            raise parse_error(line.start, f"{trigger} isn't allowed as an ONBUILD trigger")
        return Instruction(keyword, (rest,), line)
    if keyword == "HEALTHCHECK":
        _at_least_one(line, rest.split())
        text = " ".join([*(f"--{name}={value}" for name, value in flags.items()), rest])
        try:
            parse_healthcheck(text)  # refused before any step, as moby's parser
        except InvalidHealthcheck as error:
            raise parse_error(line.start, error.message) from None
        return Instruction(keyword, (text,), line, flags=flags)
    if keyword == "FROM":
        words = split_words(rest, escape)
        if len(words) not in (1, 3):
            raise parse_error(line.start, "FROM requires either one or three arguments")
        if len(words) == 3:
            if words[1].lower() != "as":
                raise parse_error(line.start, "the second argument of FROM must be 'AS'")
            if not _STAGE_NAME.fullmatch(words[2].lower()):
                raise parse_error(
                    line.start,
                    f"invalid name for build stage: {words[2]!r}, name can't start with a number or contain symbols",
                )
        return Instruction(keyword, tuple(words), line, flags=flags)
    raise parse_error(line.start, f"unknown instruction: {keyword}")


def parse_program(dockerfile: Dockerfile) -> Program:
    """Stages and their steps; ARGs before the first FROM are the meta args FROM lines may use."""
    meta_args: list[Instruction] = []
    stages: list[Stage] = []
    current: tuple[Instruction, list[Instruction]] | None = None
    names: set[str] = set()
    for line in dockerfile.lines:
        instruction = _shape(line, dockerfile.escape)
        if instruction.keyword == "FROM":
            if current is not None:
                stages.append(_stage(*current))
            current = (instruction, [])
            name = instruction.args[2].lower() if len(instruction.args) == 3 else None
            if name is not None:
                if name in names:
                    raise parse_error(line.start, f"duplicate name {name}")
                names.add(name)
        elif current is None:
            if instruction.keyword != "ARG":
                raise InvalidParameter("no build stage in current context")
            meta_args.append(instruction)
        else:
            current[1].append(instruction)
    if current is None:
        raise InvalidParameter("no build stage in current context")
    stages.append(_stage(*current))
    return Program(tuple(meta_args), tuple(stages), dockerfile.escape)


def _stage(base: Instruction, steps: list[Instruction]) -> Stage:
    name = base.args[2].lower() if len(base.args) == 3 else None
    return Stage(base, name, tuple(steps))
