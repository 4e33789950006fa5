"""Typed reads of Docker's HostConfig JSON fields, with errors naming the field and the reason.

Go's decoder rejects a string or a fraction where an int64 belongs; so do these, instead of letting a
wrong type turn into a surprise limit.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import Any

from runtime.errors import InvalidParameter

_INT64 = 1 << 63
_JSON_TYPES = {
    int: "a number",
    str: "a string",
    float: "a floating-point number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
}


def invalid(field: str, value: Any, why: str) -> InvalidParameter:
    return InvalidParameter(f"cgroups: invalid HostConfig.{field} {value!r}: {why}")


def _type_name(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def get_int(hc: Mapping[str, Any], field: str, *, name: str | None = None) -> int:
    """An integer field; null or absent reads as 0, Docker's "unset". `name` is the field's full name
    in messages when it sits inside a list."""
    value = hc.get(field)
    field = name or field
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, value, f"expected an integer, got {_type_name(value)}")
    if not -_INT64 <= value < _INT64:
        raise invalid(field, value, "out of the 64-bit integer range")
    return value


def get_str(hc: Mapping[str, Any], field: str, *, name: str | None = None) -> str:
    value = hc.get(field)
    field = name or field
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(field, value, f"expected a string, got {_type_name(value)}")
    return value


def get_bool(hc: Mapping[str, Any], field: str) -> bool:
    value = hc.get(field)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(field, value, f"expected a boolean, got {_type_name(value)}")
    return value


def get_device_rates(hc: Mapping[str, Any], field: str) -> list[tuple[int, int, int]]:
    """[{"Path": "/dev/vda", "Rate": 1048576}, ...] -> [(major, minor, rate), ...]."""
    items = hc.get(field)
    if items is None:
        return []
    if not isinstance(items, list):
        raise invalid(field, items, f'expected an array of {{"Path", "Rate"}}, got {_type_name(items)}')
    rates = []
    for i, item in enumerate(items):
        entry = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise invalid(entry, item, f'expected an object {{"Path", "Rate"}}, got {_type_name(item)}')
        path = get_str(item, "Path", name=f"{entry}.Path")
        rate = get_int(item, "Rate", name=f"{entry}.Rate")
        if rate < 0:
            raise invalid(f"{entry}.Rate", rate, "must not be negative")
        major, minor = block_device_numbers(entry, path)
        rates.append((major, minor, rate))
    return rates


def block_device_numbers(field: str, path: str) -> tuple[int, int]:
    """MAJ:MIN of the block device at path (symlinks such as /dev/disk/by-id/... followed)."""
    if not path:
        raise invalid(f"{field}.Path", path, "a device path is required")
    try:
        st = os.stat(path)
    except OSError as e:
        raise InvalidParameter(f"cgroups: invalid HostConfig.{field} device {path}: stat {path}: {e.strerror}") from e
    if not stat.S_ISBLK(st.st_mode):
        raise InvalidParameter(f"cgroups: invalid HostConfig.{field} device {path}: not a block device")
    return os.major(st.st_rdev), os.minor(st.st_rdev)
