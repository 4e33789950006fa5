"""The device allow-list of a container, one list for v1 (devices.allow lines) and v2 (an eBPF program built from
it): Docker's defaults plus the container's own rules (--device, --device-cgroup-rule), or every device."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.cgroups.resources import Resources

# moby oci/defaults.go: null, zero, full, random, urandom, tty, console, ptmx, pts/* (and mknod of any char
# or block device, which is harmless once open is refused)
DEFAULT_ALLOW = (
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
)


@dataclass(frozen=True, slots=True)
class DeviceRule:
    type: str  # "a" (any), "c" or "b"
    major: int | None  # None: any
    minor: int | None
    access: str  # a subset of "rwm"


def parse_rule(text: str) -> DeviceRule:
    """ "c 1:3 rwm" (checked at create by the engine) as a DeviceRule; "a" alone is every device."""
    kind, _, rest = text.partition(" ")
    if kind == "a" and rest in ("", "*:* rwm"):
        return DeviceRule("a", None, None, "rwm")
    numbers, _, access = rest.partition(" ")
    major, _, minor = numbers.partition(":")
    return DeviceRule(kind, None if major == "*" else int(major), None if minor == "*" else int(minor), access)


def allowed(res: Resources) -> tuple[DeviceRule, ...]:
    """The container's allow-list; a single "a" rule when every device is allowed (--privileged)."""
    rules = tuple(parse_rule(r) for r in res.device_rules)
    if any(r.type == "a" for r in rules):
        return (DeviceRule("a", None, None, "rwm"),)
    return tuple(parse_rule(r) for r in DEFAULT_ALLOW) + rules
