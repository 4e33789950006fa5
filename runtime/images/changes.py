"""`docker import --change` / `docker commit --change`: Dockerfile lines applied to an image's config.

Mirrors moby's BuildFromConfig: the allowed instructions are CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK,
LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR; CMD and ENTRYPOINT take JSON (exec) or shell form;
ENTRYPOINT clears Cmd unless a CMD came before it; ENV, LABEL, EXPOSE, USER, VOLUME, WORKDIR and STOPSIGNAL
expand `$VAR` from the environment as it was before the line.
"""

import copy
import json
import posixpath
import re
import signal
from collections.abc import Callable, Sequence

from runtime.errors import InvalidParameter
from runtime.images.healthcheck import InvalidHealthcheck, parse_healthcheck
from runtime.images.shellwords import expand_word, expand_words, split_words

DEFAULT_SHELL = ["/bin/sh", "-c"]
_PORT = re.compile(r"(\d+)(?:-(\d+))?(?:/([A-Za-z]+))?")
_PROTOCOLS = ("tcp", "udp", "sctp")
_WORD_SPLIT = re.compile(r"\s+")


def _invalid(instruction: str, why: str) -> InvalidParameter:
    return InvalidParameter(f"images: change {instruction}: {why}")


def _logical_lines(changes: Sequence[str]) -> list[str]:
    """Join continuation lines (trailing backslash) and drop blank lines and comments."""
    lines: list[str] = []
    pending = ""
    for raw in "\n".join(changes).split("\n"):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1]
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending.strip():
        lines.append(pending)
    return lines


def _env_map(config: dict) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in config.get("Env") or [])
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}


def json_array(text: str) -> list[str] | None:
    """The exec form's strings, or None when `text` is not a JSON array of strings (then it is shell form)."""
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _command_line(config: dict, text: str) -> list[str]:
    exec_form = json_array(text)
    if exec_form is not None:
        return exec_form
    return [*(config.get("Shell") or DEFAULT_SHELL), text]


def _name_value_pairs(instruction: str, text: str, env: dict[str, str]) -> list[tuple[str, str]]:
    words = split_words(text)
    if not words:
        raise _invalid(instruction, "requires at least one argument")
    if "=" not in words[0]:
        # Legacy form: `ENV NAME value with spaces`.
        name, value = (_WORD_SPLIT.split(text.strip(), maxsplit=1) + [""])[:2]
        if not value.strip():
            raise _invalid(instruction, f"{name!r} has no value: use {instruction} NAME=VALUE")
        return [(expand_word(name, env), expand_word(value.strip(), env))]
    pairs = []
    for word in words:
        name, equals, value = word.partition("=")
        if not equals or not name:
            raise _invalid(instruction, f"{word!r} is not NAME=VALUE")
        pairs.append((expand_word(name, env), expand_word(value, env)))
    return pairs


class _ChangeState:
    def __init__(self, config: dict) -> None:
        self.config = config
        self.cmd_set = False

    def cmd(self, text: str) -> None:
        self.config["Cmd"] = _command_line(self.config, text)
        self.cmd_set = True

    def entrypoint(self, text: str) -> None:
        self.config["Entrypoint"] = _command_line(self.config, text)
        if not self.cmd_set:
            self.config["Cmd"] = None

    def env(self, text: str) -> None:
        env = self.config.get("Env") or []
        for name, value in _name_value_pairs("ENV", text, _env_map(self.config)):
            env = [item for item in env if item.split("=", 1)[0] != name] + [f"{name}={value}"]
        self.config["Env"] = env

    def label(self, text: str) -> None:
        labels = dict(self.config.get("Labels") or {})
        labels.update(_name_value_pairs("LABEL", text, _env_map(self.config)))
        self.config["Labels"] = labels

    def expose(self, text: str) -> None:
        ports = dict(self.config.get("ExposedPorts") or {})
        words = expand_words(text, _env_map(self.config))
        if not words:
            raise _invalid("EXPOSE", "requires at least one port")
        for word in words:
            ports.update(dict.fromkeys(port_keys(word), {}))
        self.config["ExposedPorts"] = ports

    def user(self, text: str) -> None:
        self.config["User"] = expand_word(text.strip(), _env_map(self.config))

    def volume(self, text: str) -> None:
        volumes = dict(self.config.get("Volumes") or {})
        env = _env_map(self.config)
        exec_form = json_array(text)
        paths = [expand_word(p, env) for p in exec_form] if exec_form is not None else expand_words(text, env)
        if not paths:
            raise _invalid("VOLUME", "requires at least one path")
        for path in paths:
            if not path.strip():
                raise _invalid("VOLUME", "VOLUME specified can not be an empty string")
            volumes[path] = {}
        self.config["Volumes"] = volumes

    def workdir(self, text: str) -> None:
        requested = expand_word(text.strip(), _env_map(self.config))
        if not requested:
            raise _invalid("WORKDIR", "requires a path")
        current = self.config.get("WorkingDir") or "/"
        self.config["WorkingDir"] = posixpath.normpath(posixpath.join(current, requested))

    def stopsignal(self, text: str) -> None:
        value = expand_word(text.strip(), _env_map(self.config))
        check_signal(value)
        self.config["StopSignal"] = value

    def onbuild(self, text: str) -> None:
        trigger = text.strip()
        first = trigger.split(None, 1)[0].upper() if trigger else ""
        if first in ("", "ONBUILD", "FROM", "MAINTAINER"):
            raise _invalid("ONBUILD", f"{first or 'an empty trigger'} isn't allowed as an ONBUILD trigger")
        self.config["OnBuild"] = [*(self.config.get("OnBuild") or []), trigger]

    def healthcheck(self, text: str) -> None:
        try:
            self.config["Healthcheck"] = parse_healthcheck(text)
        except InvalidHealthcheck as error:
            raise _invalid("HEALTHCHECK", error.message) from None


def port_keys(word: str) -> list[str]:
    match = _PORT.fullmatch(word)
    if match is None:
        raise _invalid("EXPOSE", f"invalid port {word!r}: expected PORT[-PORT][/PROTOCOL]")
    first, last, protocol = int(match.group(1)), int(match.group(2) or match.group(1)), match.group(3)
    protocol = (protocol or "tcp").lower()
    if protocol not in _PROTOCOLS:
        raise _invalid("EXPOSE", f"invalid port {word!r}: unknown protocol {protocol!r}")
    if not 0 < first <= last <= 65535:
        raise _invalid("EXPOSE", f"invalid port {word!r}: ports must be in 1-65535 and ranges ascending")
    return [f"{port}/{protocol}" for port in range(first, last + 1)]


def check_signal(value: str) -> None:
    if value.isdigit() and 0 < int(value) < signal.NSIG:
        return
    name = value.upper().removeprefix("SIG")
    if f"SIG{name}" not in signal.Signals.__members__ and not re.fullmatch(r"RTM(IN|AX)(\+|-)\d+", name):
        raise _invalid("STOPSIGNAL", f"Invalid signal: {value}")


_DISPATCH: dict[str, Callable[[_ChangeState, str], None]] = {
    "CMD": _ChangeState.cmd,
    "ENTRYPOINT": _ChangeState.entrypoint,
    "ENV": _ChangeState.env,
    "EXPOSE": _ChangeState.expose,
    "HEALTHCHECK": _ChangeState.healthcheck,
    "LABEL": _ChangeState.label,
    "ONBUILD": _ChangeState.onbuild,
    "STOPSIGNAL": _ChangeState.stopsignal,
    "USER": _ChangeState.user,
    "VOLUME": _ChangeState.volume,
    "WORKDIR": _ChangeState.workdir,
}


def apply_changes(config: dict, changes: Sequence[str]) -> dict:
    """A copy of the container config `config` (an image config's "config") with `changes` applied."""
    state = _ChangeState(copy.deepcopy(config))
    lines = _logical_lines(changes)
    parsed = []
    for line in lines:
        instruction, rest = (_WORD_SPLIT.split(line, maxsplit=1) + [""])[:2]
        handler = _DISPATCH.get(instruction.upper())
        if handler is None:
            raise InvalidParameter(f"{instruction.lower()} is not a valid change command")
        parsed.append((handler, rest.strip()))
    for handler, rest in parsed:
        handler(state, rest)
    return state.config
