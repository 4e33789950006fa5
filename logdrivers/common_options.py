"""Options every driver accepts (mode, max-buffer-size) and the unknown-key check drivers share."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.sizes import parse_binary_size

SHARED_KEYS = frozenset({"mode", "max-buffer-size"})
DEFAULT_MAX_BUFFER_SIZE = 1_000_000  # Docker's defaultRingMaxSize


@dataclass(frozen=True, slots=True)
class SharedOptions:
    mode: Literal["blocking", "non-blocking"] = "blocking"
    max_buffer_size: int = DEFAULT_MAX_BUFFER_SIZE  # bytes of line content queued in non-blocking mode


def parse_shared_options(opts: Mapping[str, str], driver: str) -> SharedOptions:
    """Docker's ValidateLogOpts checks, run before the driver's own."""
    mode = opts.get("mode", "") or "blocking"
    if mode not in ("blocking", "non-blocking"):
        raise InvalidLogOpt("mode", driver, f"logging mode not supported: {mode}")
    if "max-buffer-size" not in opts:
        return SharedOptions(mode)
    if mode != "non-blocking":
        raise InvalidLogOpt("max-buffer-size", driver, "only supported with 'mode=non-blocking'")
    text = opts["max-buffer-size"]
    try:
        size = parse_binary_size(text)
    except ValueError as exc:
        raise InvalidLogOpt("max-buffer-size", driver, f"'{text}' is not a size: {exc}") from None
    if size <= 0:
        raise InvalidLogOpt("max-buffer-size", driver, f"must be a positive size, not '{text}'")
    return SharedOptions(mode, size)


def driver_options(opts: Mapping[str, str]) -> dict[str, str]:
    """The options left for the driver itself once the shared ones are taken out."""
    return {key: value for key, value in opts.items() if key not in SHARED_KEYS}


def reject_unknown_keys(opts: Iterable[str], known: frozenset[str], driver: str) -> None:
    for key in opts:
        if key not in known:
            raise UnknownLogOpt(key, driver)
