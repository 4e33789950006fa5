"""Docker's size strings (go-units): "10m" is 10,000,000 bytes for max-size, 4 MiB for max-buffer-size."""

import re

_SIZE = re.compile(r"(\d+\.?\d*|\.\d+) ?([A-Za-z]*)")
_SI = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
_BINARY = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}


def _parse(text: str, multipliers: dict[str, int]) -> int:
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"invalid size: '{text}'")
    number, suffix = float(match[1]), match[2].lower()
    if not suffix or suffix == "b":
        return int(number)
    # go-units: a unit letter, then optionally "i", "b" or "ib" ("10mib" is still SI for FromHumanSize).
    if len(suffix) > 3 or suffix[0] not in multipliers or suffix[1:] not in ("", "i", "b", "ib"):
        raise ValueError(f"invalid suffix: '{suffix}'")
    return int(number * multipliers[suffix[0]])


def parse_si_size(text: str) -> int:
    """units.FromHumanSize: decimal multipliers (json-file max-size)."""
    return _parse(text, _SI)


def parse_binary_size(text: str) -> int:
    """units.RAMInBytes: binary multipliers (max-buffer-size)."""
    return _parse(text, _BINARY)
