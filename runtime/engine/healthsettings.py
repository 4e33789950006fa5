"""A container's healthcheck (Config.Healthcheck, or the image's HEALTHCHECK): checked and merged at create as
moby's validateHealthCheck and merge do, read with moby's defaults when probes are scheduled."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.errors import InvalidParameter

NS = 1_000_000_000
MINIMUM_NS = 1_000_000  # moby's container.MinimumDuration, 1ms
# moby daemon/health.go
DEFAULT_INTERVAL_S = 30.0
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_START_INTERVAL_S = 5.0
DEFAULT_RETRIES = 3
_DURATIONS = ("Interval", "Timeout", "StartPeriod", "StartInterval")


@dataclass(frozen=True)
class HealthSettings:
    command: list[str]  # what a probe runs in the container
    interval: float  # seconds between probes
    timeout: float  # a probe still running after this long is killed and fails
    start_period: float  # failures in this time after the start do not count
    start_interval: float  # seconds between probes during the start period
    retries: int  # consecutive failures that make the container unhealthy


def check_healthcheck(config: Mapping[str, Any] | None) -> None:
    """moby's validateHealthCheck, with its messages (400)."""
    if not config:
        return
    if not isinstance(config, Mapping):
        raise InvalidParameter("invalid JSON: Healthcheck: expected an object")
    test = config.get("Test")
    if test is not None and not (isinstance(test, list) and all(isinstance(t, str) for t in test)):
        raise InvalidParameter("invalid JSON: Healthcheck.Test: expected a list of strings")
    for key in _DURATIONS:
        value = config.get(key) or 0
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidParameter(f"invalid JSON: Healthcheck.{key}: expected an integer of nanoseconds")
        if value != 0 and value < MINIMUM_NS:
            raise InvalidParameter(f"{key} in Healthcheck cannot be less than 1ms")
    retries = config.get("Retries") or 0
    if not isinstance(retries, int) or isinstance(retries, bool):
        raise InvalidParameter("invalid JSON: Healthcheck.Retries: expected an integer")
    if retries < 0:
        raise InvalidParameter("Retries in Healthcheck cannot be negative")


def merge_healthcheck(mine: Mapping[str, Any] | None, image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The container's healthcheck over the image's, field by field (moby's merge): what the container leaves
    unset (an empty Test, a zero duration or retry count) comes from the image."""
    if not mine:
        return dict(image) if image else None
    merged = dict(mine)
    for key in ("Test", *_DURATIONS, "Retries"):
        if not merged.get(key) and image and image.get(key):
            merged[key] = image[key]
    return merged


def health_settings(config: Mapping[str, Any] | None, shell: list[str] | None = None) -> HealthSettings | None:
    """What probes run, and when; None without a healthcheck (none given, an empty Test, or NONE)."""
    test = list((config or {}).get("Test") or [])
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        command = test[1:]
    elif test[0] == "CMD-SHELL":
        command = [*(shell or ["/bin/sh", "-c"]), " ".join(test[1:])]
    else:
        raise InvalidParameter(f"unknown healthcheck type '{test[0]}' (expected 'CMD' or 'CMD-SHELL')")
    if not command:
        return None

    def seconds(key: str, default: float) -> float:
        return ((config or {}).get(key) or 0) / NS or default

    return HealthSettings(
        command=command,
        interval=seconds("Interval", DEFAULT_INTERVAL_S),
        timeout=seconds("Timeout", DEFAULT_TIMEOUT_S),
        start_period=seconds("StartPeriod", 0.0),
        start_interval=seconds("StartInterval", DEFAULT_START_INTERVAL_S),
        retries=(config or {}).get("Retries") or DEFAULT_RETRIES,
    )
