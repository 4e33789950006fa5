"""The part of Go templates that `inspect -f` is mostly used with: `{{.Field.Sub}}`, `{{json .Field}}` and `{{.}}`,
printed as Go prints them (true/false, <no value> for a missing key, map[...] for an object)."""

import json
import re
from typing import Any

from runtime.errors import InvalidParameter

_ACTION = re.compile(r"{{-?\s*(json\s+)?(\.[A-Za-z0-9_.]*)\s*-?}}")


def _lookup(value: Any, path: str) -> Any:
    for key in (k for k in path.split(".") if k):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _go_text(value: Any) -> str:
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_text(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_text(v) for v in value) + "]"
    return str(value)


def render(template: str, value: Any) -> str:
    """`{{.State.Status}} {{json .Config.Env}}` over an inspect object."""
    rest = _ACTION.sub("", template)
    if "{{" in rest:
        raise InvalidParameter(f"template {template!r}: only {{{{.Field}}}} and {{{{json .Field}}}} are supported")

    def substitute(match: re.Match[str]) -> str:
        found = _lookup(value, match[2])
        return json.dumps(found) if match[1] else _go_text(found)

    return _ACTION.sub(substitute, template)
