"""Docker's seccomp profile format (moby profiles/seccomp: `defaultAction`, `archMap`, `syscalls` with `names`,
`action`, `errnoRet`, `args`, `includes` and `excludes`) read into typed records, and the rules one container
gets, chosen as moby's setupSeccomp chooses them: by the container's capabilities (its bounding set), the
machine's architecture and the kernel's version. Pure: compiling the chosen rules is seccomp_filter's job."""

import json
import os
import platform
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from runtime.errors import InvalidParameter, NotImplementedYet

ACTIONS = (
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
)
OPERATORS = (
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
)
MAX_ARGS = 6  # a system call's arguments
U64_MAX = (1 << 64) - 1
ERRNO_MAX = 4095  # the kernel's MAX_ERRNO
# The names profiles use for this machine in `includes.arches` (Go's GOARCH, as moby compares them) and in
# `archMap` (libseccomp's).
GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "riscv64": "riscv64", "s390x": "s390x", "ppc64le": "ppc64le"}
SCMP_ARCH = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64", "riscv64": "SCMP_ARCH_RISCV64"}


@dataclass(frozen=True)
class ArgCondition:
    index: int
    value: int
    value_two: int
    op: str


@dataclass(frozen=True)
class SyscallRule:
    names: tuple[str, ...]
    action: str
    errno_ret: int | None
    args: tuple[ArgCondition, ...]


@dataclass(frozen=True)
class ChosenFilter:
    """What a container's filter is compiled from: the rules that apply to it, in the profile's order."""

    default_action: str
    default_errno: int | None
    architectures: tuple[str, ...]  # libseccomp's names, the native one first
    rules: tuple[SyscallRule, ...]


@dataclass(frozen=True)
class Host:
    """The facts a profile's includes and excludes test, besides capabilities."""

    arch: str  # Go's name
    kernel: tuple[int, int]

    @classmethod
    def this_machine(cls) -> "Host":
        return cls(GO_ARCH.get(platform.machine(), platform.machine()), kernel_version(os.uname().release))


def kernel_version(release: str) -> tuple[int, int]:
    major, _, rest = release.partition(".")
    minor = "".join(c for c in rest.split(".")[0] if c.isdigit()) or "0"
    return int(major), int(minor)


def default_profile() -> str:
    """Docker's default profile (Engine 25 and later: no io_uring), shipped beside this module."""
    return resources.files("runtime.security").joinpath("seccomp_default.json").read_text()


def _fail(why: str) -> InvalidParameter:
    return InvalidParameter(f"Decoding seccomp profile failed: {why}")


@dataclass(frozen=True)
class Condition:
    """A rule's `includes` or `excludes`."""

    arches: tuple[str, ...] = ()
    caps: tuple[str, ...] = ()
    min_kernel: tuple[int, int] | None = None


@dataclass(frozen=True)
class ProfileRule:
    rule: SyscallRule
    includes: Condition
    excludes: Condition


@dataclass(frozen=True)
class Profile:
    default_action: str
    default_errno: int | None
    architectures: tuple[str, ...]
    arch_map: tuple[tuple[str, tuple[str, ...]], ...]
    rules: tuple[ProfileRule, ...]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"{where}: expected a list of strings")
    return tuple(value)


def _int(value: Any, where: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(f"{where}: expected an integer from {low} to {high}, got {value!r:.40}")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(f"{where}: expected an object")
    return value


def _condition(value: Any, where: str) -> Condition:
    raw = _object(value, where)
    min_kernel = raw.get("minKernel")
    if min_kernel is not None and (not isinstance(min_kernel, str) or not re.fullmatch(r"[0-9]+\.[0-9]+", min_kernel)):
        raise _fail(f"{where}.minKernel: expected a version like 4.8, got {min_kernel!r:.40}")
    return Condition(
        _strings(raw.get("arches"), f"{where}.arches"),
        _strings(raw.get("caps"), f"{where}.caps"),
        kernel_version(min_kernel) if min_kernel else None,
    )


def _arg(value: Any, where: str) -> ArgCondition:
    raw = _object(value, where)
    if raw.get("op") not in OPERATORS:
        raise _fail(f"{where}: unknown operator {raw.get('op')!r:.40}")
    return ArgCondition(
        _int(raw.get("index", 0), f"{where}.index", 0, MAX_ARGS - 1),
        _int(raw.get("value", 0), f"{where}.value", 0, U64_MAX),
        _int(raw.get("valueTwo", 0), f"{where}.valueTwo", 0, U64_MAX),
        raw["op"],
    )


def _rule(value: Any, where: str) -> ProfileRule:
    raw = _object(value, where)
    if raw.get("name") and raw.get("names"):
        raise _fail("use either 'name' or 'names'")
    names = _strings(raw.get("names"), f"{where}.names") or _strings([raw["name"]] if raw.get("name") else [], where)
    action = _action(raw.get("action"), f"{where}.action")
    errno_ret = raw.get("errnoRet")
    if errno_ret is not None:
        errno_ret = _int(errno_ret, f"{where}.errnoRet", 0, ERRNO_MAX)
    args = raw.get("args") or []
    if not isinstance(args, list) or len(args) > MAX_ARGS:
        raise _fail(f"{where}.args: expected at most {MAX_ARGS} conditions")
    conditions = tuple(_arg(a, f"{where}.args[{i}]") for i, a in enumerate(args))
    return ProfileRule(
        SyscallRule(names, action, errno_ret, conditions),
        _condition(raw.get("includes"), f"{where}.includes"),
        _condition(raw.get("excludes"), f"{where}.excludes"),
    )


def _arch_entry(value: Any, where: str) -> tuple[str, tuple[str, ...]]:
    raw = _object(value, where)
    architecture = raw.get("architecture")
    if not isinstance(architecture, str):
        raise _fail(f"{where}.architecture: expected a string")
    return architecture, _strings(raw.get("subArchitectures"), f"{where}.subArchitectures")


def parse_profile(text: str) -> Profile:
    """The profile, checked field by field; the errors start as moby's do at start."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _fail(str(e)) from None
    raw = _object(raw, "the profile")
    if raw.get("architectures") and raw.get("archMap"):
        raise _fail(
            "both 'architectures' and 'archMap' are specified in the seccomp profile, use either "
            "'architectures' or 'archMap'"
        )
    if raw.get("listenerPath") or raw.get("defaultAction") == "SCMP_ACT_NOTIFY":
        raise NotImplementedYet("porthole: seccomp profile: SCMP_ACT_NOTIFY (listenerPath) is not supported yet")
    default_errno = raw.get("defaultErrnoRet")
    arch_map = raw.get("archMap") or []
    if not isinstance(arch_map, list):
        raise _fail("archMap: expected a list")
    syscalls = raw.get("syscalls") or []
    if not isinstance(syscalls, list):
        raise _fail("syscalls: expected a list")
    return Profile(
        _action(raw.get("defaultAction"), "defaultAction"),
        None if default_errno is None else _int(default_errno, "defaultErrnoRet", 0, ERRNO_MAX),
        _strings(raw.get("architectures"), "architectures"),
        tuple(_arch_entry(entry, f"archMap[{i}]") for i, entry in enumerate(arch_map)),
        tuple(_rule(call, f"syscalls[{i}]") for i, call in enumerate(syscalls)),
    )


def _action(name: Any, where: str) -> str:
    if name == "SCMP_ACT_NOTIFY":
        raise NotImplementedYet(f"porthole: seccomp profile: {where}: SCMP_ACT_NOTIFY is not supported yet")
    if name not in ACTIONS:
        raise _fail(f"{where}: unknown action {name!r:.40}")
    return name


def _applies(rule: ProfileRule, capabilities: frozenset[str], host: Host) -> bool:
    includes, excludes = rule.includes, rule.excludes
    if includes.arches and host.arch not in includes.arches:
        return False
    if includes.caps and not set(includes.caps) <= capabilities:
        return False
    if includes.min_kernel and host.kernel < includes.min_kernel:
        return False
    if host.arch in excludes.arches:
        return False
    if set(excludes.caps) & capabilities:
        return False
    return not (excludes.min_kernel and host.kernel >= excludes.min_kernel)


def _architectures(profile: Profile, host: Host) -> tuple[str, ...]:
    if profile.architectures:
        return profile.architectures
    native = SCMP_ARCH.get(host.arch)
    for architecture, subs in profile.arch_map:
        if architecture == native:
            return (native, *subs)
    return (native,) if native else ()


def choose(profile: Profile, capabilities: frozenset[str], host: Host) -> ChosenFilter:
    """The rules of a parsed profile that apply to a container holding `capabilities` (CAP_ names)."""
    rules = tuple(r.rule for r in profile.rules if _applies(r, capabilities, host))
    return ChosenFilter(profile.default_action, profile.default_errno, _architectures(profile, host), rules)
