"""Docker's seccomp profile format (moby profiles/seccomp: `defaultAction`, `archMap`, `syscalls` with `names`,
`action`, `errnoRet`, `args`, `includes` and `excludes`) read into typed records, and the rules one container
gets, chosen as moby's setupSeccomp chooses them: by the container's capabilities (its bounding set), the
machine's architecture and the kernel's version. Pure: compiling the chosen rules is seccomp_filter's job."""

import json
import os
import platform
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


def parse_profile(text: str) -> dict[str, Any]:
    """The profile as JSON, checked for what a filter needs; the error is the one moby gives at start."""
    try:
        profile = json.loads(text)
    except ValueError as e:
        raise _fail(str(e)) from None
    if not isinstance(profile, dict):
        raise _fail("the profile is not a JSON object")
    if profile.get("architectures") and profile.get("archMap"):
        raise _fail(
            "both 'architectures' and 'archMap' are specified in the seccomp profile, use either "
            "'architectures' or 'archMap'"
        )
    if profile.get("listenerPath") or profile.get("defaultAction") == "SCMP_ACT_NOTIFY":
        raise NotImplementedYet("porthole: seccomp profile: SCMP_ACT_NOTIFY (listenerPath) is not supported yet")
    _action(profile.get("defaultAction"), "defaultAction")
    for number, call in enumerate(profile.get("syscalls") or []):
        if not isinstance(call, dict):
            raise _fail(f"syscalls[{number}] is not an object")
        if call.get("name") and call.get("names"):
            raise _fail("use either 'name' or 'names'")
        _action(call.get("action"), f"syscalls[{number}].action")
        for arg in call.get("args") or []:
            if not isinstance(arg, dict) or arg.get("op") not in OPERATORS:
                raise _fail(f"syscalls[{number}]: unknown operator {arg.get('op') if isinstance(arg, dict) else arg!r}")
    return profile


def _action(name: Any, where: str) -> None:
    if name == "SCMP_ACT_NOTIFY":
        raise NotImplementedYet(f"porthole: seccomp profile: {where}: SCMP_ACT_NOTIFY is not supported yet")
    if name not in ACTIONS:
        raise _fail(f"{where}: unknown action {name!r}")


def _applies(call: dict[str, Any], capabilities: frozenset[str], host: Host) -> bool:
    includes = call.get("includes") or {}
    excludes = call.get("excludes") or {}
    if includes.get("arches") and host.arch not in includes["arches"]:
        return False
    if includes.get("caps") and not set(includes["caps"]) <= capabilities:
        return False
    if includes.get("minKernel") and host.kernel < kernel_version(includes["minKernel"]):
        return False
    if host.arch in (excludes.get("arches") or ()):
        return False
    if set(excludes.get("caps") or ()) & capabilities:
        return False
    return not (excludes.get("minKernel") and host.kernel >= kernel_version(excludes["minKernel"]))


def _architectures(profile: dict[str, Any], host: Host) -> tuple[str, ...]:
    if profile.get("architectures"):
        return tuple(profile["architectures"])
    native = SCMP_ARCH.get(host.arch)
    for entry in profile.get("archMap") or ():
        if entry.get("architecture") == native:
            return (native, *(entry.get("subArchitectures") or ()))
    return (native,) if native else ()


def choose(profile: dict[str, Any], capabilities: frozenset[str], host: Host) -> ChosenFilter:
    """The rules of a parsed profile that apply to a container holding `capabilities` (CAP_ names)."""
    rules = []
    for call in profile.get("syscalls") or ():
        if not _applies(call, capabilities, host):
            continue
        names = tuple(call.get("names") or ([call["name"]] if call.get("name") else []))
        args = tuple(
            ArgCondition(int(a.get("index", 0)), int(a.get("value", 0)), int(a.get("valueTwo", 0)), a["op"])
            for a in call.get("args") or ()
        )
        rules.append(SyscallRule(names, call["action"], call.get("errnoRet"), args))
    return ChosenFilter(
        profile["defaultAction"], profile.get("defaultErrnoRet"), _architectures(profile, host), tuple(rules)
    )
