"""Go's boolean flag values (strconv.ParseBool), as the docker CLI takes them: `--sig-proxy=false`, `readonly=1`."""

from runtime.errors import InvalidParameter

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def go_bool(value: str) -> bool:
    """True or False; InvalidParameter for anything strconv.ParseBool refuses."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidParameter(f"{value!r} is not a boolean")
