"""Extra attributes from the labels, labels-regex, env and env-regex options (Docker's ExtraAttributes)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from logdrivers.errors import InvalidLogOpt
from logdrivers.info import ContainerInfo

ATTR_KEYS = frozenset({"labels", "labels-regex", "env", "env-regex"})


@dataclass(frozen=True, slots=True)
class AttrOptions:
    labels: tuple[str, ...] = ()
    labels_regex: re.Pattern[str] | None = None
    env: tuple[str, ...] = ()
    env_regex: re.Pattern[str] | None = None


def _names(text: str) -> tuple[str, ...]:
    # Docker splits on "," and trims nothing: "a, b" names "a" and " b".
    return tuple(text.split(",")) if text else ()


def _pattern(opts: Mapping[str, str], key: str, driver: str) -> re.Pattern[str] | None:
    text = opts.get(key, "")
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise InvalidLogOpt(key, driver, f"invalid regular expression '{text}': {exc}") from None


def parse_attr_options(opts: Mapping[str, str], driver: str) -> AttrOptions:
    return AttrOptions(
        labels=_names(opts.get("labels", "")),
        labels_regex=_pattern(opts, "labels-regex", driver),
        env=_names(opts.get("env", "")),
        env_regex=_pattern(opts, "env-regex", driver),
    )


def extra_attributes(options: AttrOptions, info: ContainerInfo) -> dict[str, str]:
    """Applied in Docker's order, later sources overwriting earlier ones: labels, labels-regex, env, env-regex."""
    extra: dict[str, str] = {}
    for key in options.labels:
        if key in info.labels:
            extra[key] = info.labels[key]
    if options.labels_regex is not None:
        extra.update((k, v) for k, v in info.labels.items() if options.labels_regex.search(k))
    env = info.env_mapping()
    for key in options.env:
        if key in env:
            extra[key] = env[key]
    if options.env_regex is not None:
        extra.update((k, v) for k, v in env.items() if options.env_regex.search(k))
    return extra
