"""Each instruction's effect, as moby's dispatchers.go has it: the run config it changes (applied at once),
the `created_by` its history entry and cache key carry, and the work a cache miss does (a RUN container, a
COPY into the mounted root, a WORKDIR made); the orchestrator (`build`) probes the cache in between.
"""

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from runtime.errors import InvalidParameter
from runtime.images.builder.gotext import go_health_config, go_list, go_quoted_list
from runtime.images.builder.instructions import Instruction
from runtime.images.builder.stage import StageState
from runtime.images.changes import check_signal, port_keys
from runtime.images.healthcheck import parse_healthcheck
from runtime.images.shellwords import expand_word


class StepTools(Protocol):
    """What a step's work uses; the build orchestrator provides it."""

    def run(self, state: StageState, argv: list[str]) -> str:
        """Run `argv` in a container of the stage's image; the diff_id of the layer it made."""

    def copy(self, state: StageState, instruction: Instruction, patterns: list[str], destination: str) -> str:
        """COPY or ADD into the stage's root; the diff_id of the layer it made."""

    def make_workdir(self, state: StageState, path: str) -> str | None:
        """Create `path` if missing; the diff_id of the layer, None when it existed."""

    def sources_checksum(self, state: StageState, instruction: Instruction, patterns: list[str]) -> str:
        """`file:<hash>`, `dir:<hash>` or `multi:<hash>` of what COPY/ADD would copy."""


@dataclass
class Plan:
    created_by: str
    work: Callable[[], str | None] | None = None  # on a cache miss: makes the layer (its diff_id) or None
    author: str | None = None  # MAINTAINER
    note: str | None = None  # a line Docker prints before the step's cache probe


def _command(state: StageState, instruction: Instruction) -> list[str]:
    if instruction.json_form:
        return list(instruction.args)
    return [*state.shell, instruction.args[0]]


def _expand(state: StageState, text: str, escape: str) -> str:
    return expand_word(text, state.expansion_env(), escape)


def _pairs(state: StageState, instruction: Instruction, escape: str) -> list[tuple[str, str]]:
    env = state.expansion_env()
    pairs = []
    for word in instruction.args:
        name, _, value = word.partition("=")
        pairs.append((expand_word(name, env, escape), expand_word(value, env, escape)))
    return pairs


def plan_step(tools: StepTools, state: StageState, instruction: Instruction, escape: str) -> Plan:
    keyword = instruction.keyword
    rc = state.run_config
    if keyword == "RUN":
        if instruction.flags:
            flag = next(iter(instruction.flags))
            raise InvalidParameter(
                f"the --{flag} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how "
                "to build images with BuildKit enabled"
            )
        argv = _command(state, instruction)
        created_by = " ".join([*state.args_prefix(), *argv])
        return Plan(created_by, lambda: tools.run(state, argv))
    if keyword in ("CMD", "ENTRYPOINT"):
        value = _command(state, instruction)
        if keyword == "CMD":
            rc["Cmd"], state.cmd_set = value, True
        else:
            rc["Entrypoint"] = value
            if not state.cmd_set:
                rc["Cmd"] = None
        return Plan(state.nop(f" {keyword} {go_quoted_list(value)}"))
    if keyword == "SHELL":
        rc["Shell"] = list(instruction.args)
        return Plan(state.nop(f" SHELL [{' '.join(instruction.args)}]"))
    if keyword == "ENV":
        env = list(rc.get("Env") or [])
        pairs = _pairs(state, instruction, escape)
        for name, value in pairs:
            env = [item for item in env if item.partition("=")[0] != name] + [f"{name}={value}"]
        rc["Env"] = env
        return Plan(state.nop(" ENV " + " ".join(f"{n}={v}" for n, v in pairs)))
    if keyword == "LABEL":
        pairs = _pairs(state, instruction, escape)
        rc["Labels"] = {**(rc.get("Labels") or {}), **dict(pairs)}
        return Plan(state.nop(" LABEL " + " ".join(f"{n}={v}" for n, v in pairs)))
    if keyword == "ARG":
        texts = []
        for word in instruction.args:
            name, equals, default = word.partition("=")
            # as moby's BuildArgs.getBuildArg: without a default, the value of the global ARG of that name
            value = _expand(state, default, escape) if equals else state.meta_args.get(name)
            if name in state.build_args:
                value = state.build_args[name] if state.build_args[name] is not None else value
            state.args[name] = value
            texts.append(word)
        return Plan(state.nop(" ARG " + " ".join(texts)))
    if keyword == "EXPOSE":
        ports = dict(rc.get("ExposedPorts") or {})
        env = state.expansion_env()
        # each word expanded, then split as moby's ProcessWords splits a variable's value (ENV P="80 443")
        words = [word for arg in instruction.args for word in expand_word(arg, env, escape).split()]
        for word in words:
            try:
                ports.update(dict.fromkeys(port_keys(word), {}))
            except InvalidParameter:
                raise InvalidParameter(f"Invalid containerPort: {word}") from None
        rc["ExposedPorts"] = ports
        return Plan(state.nop(" EXPOSE " + " ".join(words)))  # the words as written (expanded), as moby's
    if keyword == "VOLUME":
        env = state.expansion_env()
        paths = [expand_word(p, env, escape) for p in instruction.args]
        for path in paths:
            if not path.strip():
                raise InvalidParameter("VOLUME specified can not be an empty string")
        rc["Volumes"] = {**(rc.get("Volumes") or {}), **dict.fromkeys(paths, {})}
        return Plan(state.nop(f" VOLUME [{' '.join(paths)}]"))
    if keyword == "USER":
        rc["User"] = _expand(state, instruction.text, escape)
        return Plan(state.nop(f" USER {rc['User']}"))
    if keyword == "STOPSIGNAL":
        value = _expand(state, instruction.text, escape)
        try:
            check_signal(value)
        except InvalidParameter:
            raise InvalidParameter(f"Invalid signal: {value}") from None
        rc["StopSignal"] = value
        return Plan(state.nop(f" STOPSIGNAL {value}"))
    if keyword == "WORKDIR":
        requested = _expand(state, instruction.text, escape)
        path = posixpath.normpath(posixpath.join(rc.get("WorkingDir") or "/", requested))
        rc["WorkingDir"] = path
        return Plan(state.nop(f"WORKDIR {path}"), lambda: tools.make_workdir(state, path))
    if keyword == "MAINTAINER":
        return Plan(state.nop(f" MAINTAINER {instruction.text}"), author=instruction.text)
    if keyword == "ONBUILD":
        rc["OnBuild"] = [*(rc.get("OnBuild") or []), instruction.text]
        return Plan(state.nop(f" ONBUILD {instruction.text}"))
    if keyword == "HEALTHCHECK":
        previous = (rc.get("Healthcheck") or {}).get("Test") or []
        note = (
            f"Note: overriding previous HEALTHCHECK: {go_list(previous)}"
            if previous[:1] not in ([], ["NONE"])
            else None
        )
        rc["Healthcheck"] = parse_healthcheck(instruction.args[0])  # the line with its flags, checked at parse
        return Plan(state.nop(f" HEALTHCHECK {go_health_config(rc['Healthcheck'])}"), note=note)
    if keyword in ("COPY", "ADD"):
        env = state.expansion_env()
        destination = expand_word(instruction.args[-1], env, escape)
        patterns = [expand_word(word, env, escape) for word in instruction.args[:-1]]
        flags = "".join(f"--{name}={value} " for name, value in sorted(instruction.flags.items()) if name != "from")
        checksum = tools.sources_checksum(state, instruction, patterns)
        created_by = state.nop(f"{keyword} {flags}{checksum} in {destination} ")
        return Plan(created_by, lambda: tools.copy(state, instruction, patterns, destination))
    raise InvalidParameter(f"unknown instruction: {keyword}")
