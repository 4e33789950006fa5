"""Query parameters as moby reads them: booleans, integers, filters in both the CLI's and docker-py's form."""

import json

from runtime.api.http import Request
from runtime.errors import InvalidParameter

_FALSE = ("", "0", "no", "false", "none")


def text(req: Request, name: str, default: str = "") -> str:
    values = req.query.get(name)
    return values[-1] if values else default


def flag(req: Request, name: str, default: bool = False) -> bool:
    """moby's BoolValue: "", 0, no, false and none (any case) are false; any other value is true."""
    if name not in req.query:
        return default
    return text(req, name).strip().lower() not in _FALSE


def integer(req: Request, name: str, default: int | None = None) -> int | None:
    value = text(req, name)
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidParameter(f"invalid value for {name}: {value!r} is not an integer") from None


def unix_ns(req: Request, name: str) -> int | None:
    """A unix time in nanoseconds, exact: the CLI sends "<s>.<ns>" with nine digits, which a float would round
    (an entry stamped exactly at --since could then be skipped); docker-py sends an int or a float."""
    value = text(req, name)
    if value == "":
        return None
    whole, dot, fraction = value.partition(".")
    if whole.isdigit() and (not dot or (fraction.isdigit() and len(fraction) <= 9)):
        return int(whole) * 1_000_000_000 + int(fraction.ljust(9, "0") if dot else 0)
    try:
        return int(float(value) * 1e9)
    except ValueError:
        raise InvalidParameter(f"invalid value for {name}: {value!r} is not a unix timestamp") from None


def filters(req: Request) -> dict[str, list[str]]:
    """`filters=` JSON: {"status": {"running": true}} from the CLI, {"status": ["running"]} from docker-py."""
    raw = text(req, "filters")
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as e:
        raise InvalidParameter(f"invalid filters: {e}") from None
    if not isinstance(parsed, dict):
        raise InvalidParameter("invalid filters: expected a JSON object")
    result: dict[str, list[str]] = {}
    for key, value in parsed.items():
        if isinstance(value, dict):
            result[key] = [k for k, on in value.items() if on]
        elif isinstance(value, list):
            result[key] = [str(v) for v in value]
        elif isinstance(value, str):
            result[key] = [value]
        else:
            raise InvalidParameter(f"invalid filters: the value of {key!r} must be a list or an object")
    return result
