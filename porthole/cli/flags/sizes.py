"""Sizes, CPU counts and device rates, with the docker CLI's rules (go-units RAMInBytes, opts.NanoCPUs,
opts.ValidateThrottleBpsDevice/IOpsDevice)."""

import re

from runtime.errors import InvalidParameter

# Memory sizes are binary in docker: 64m is 64 MiB (go-units RAMInBytes).
BINARY_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")
_DECIMAL = re.compile(r"(\d*)(?:\.(\d*))?")
NANOS = 1_000_000_000


def ram_in_bytes(text: str) -> int:
    """`64m` → 67108864. A bare number is bytes; suffixes b, k, m, g, t, p, optionally followed by `b` or `ib`,
    any case, with an optional space before them. Fractions are truncated to whole bytes, as go-units does."""
    stripped = text.strip()
    match = re.fullmatch(r"(?P<number>[0-9.]+) ?(?P<suffix>[A-Za-z]*)", stripped)
    if match is None:
        raise InvalidParameter(f"invalid size {text!r}: expected a number with an optional unit (b, k, m, g, t, p)")
    number, suffix = match["number"], match["suffix"].lower()
    if not _NUMBER.fullmatch(number):
        raise InvalidParameter(f"invalid size {text!r}: {number!r} is not a number")
    if suffix in ("", "b"):
        return int(float(number))
    unit, rest = suffix[0], suffix[1:]
    if unit not in BINARY_UNITS or rest not in ("", "b", "ib"):
        raise InvalidParameter(f"invalid size {text!r}: unknown unit {match['suffix']!r} (use b, k, m, g, t or p)")
    return int(float(number) * BINARY_UNITS[unit])


def memory_swap(text: str) -> int:
    """`--memory-swap`: a size, or -1 for unlimited swap."""
    return -1 if text.strip() == "-1" else ram_in_bytes(text)


def nano_cpus(text: str) -> int:
    """`--cpus 1.5` → 1500000000 (NanoCpus). At most nine decimal places, as docker's rational check allows."""
    match = _DECIMAL.fullmatch(text.strip())
    if match is None or not (match[1] or match[2]):
        raise InvalidParameter(f"invalid CPU count {text!r}: not a decimal number")
    whole, fraction = match[1] or "0", (match[2] or "").rstrip("0")
    if len(fraction) > 9:
        raise InvalidParameter(f"invalid CPU count {text!r}: too precise (at most 9 decimal places)")
    return int(whole) * NANOS + int(fraction.ljust(9, "0"))


def _device_and_value(text: str, expected: str) -> tuple[str, str]:
    path, sep, value = text.partition(":")
    if not sep or not path:
        raise InvalidParameter(f"invalid device rate {text!r}: expected {expected}")
    if not path.startswith("/dev/"):
        raise InvalidParameter(f"invalid device rate {text!r}: the device path must start with /dev/")
    return path, value


def device_bps(text: str) -> dict[str, int | str]:
    """`--device-read-bps /dev/sda:1mb` → {"Path": "/dev/sda", "Rate": 1048576} (binary units)."""
    path, value = _device_and_value(text, "<device-path>:<number>[<unit>]")
    try:
        rate = ram_in_bytes(value)
    except InvalidParameter as e:
        raise InvalidParameter(f"invalid device rate {text!r}: {e.message}") from None
    return {"Path": path, "Rate": rate}


def device_iops(text: str) -> dict[str, int | str]:
    """`--device-read-iops /dev/sda:100` → {"Path": "/dev/sda", "Rate": 100}."""
    path, value = _device_and_value(text, "<device-path>:<number>")
    if not value.isascii() or not value.isdigit():
        raise InvalidParameter(f"invalid device rate {text!r}: {value!r} is not a whole number of operations")
    return {"Path": path, "Rate": int(value)}
