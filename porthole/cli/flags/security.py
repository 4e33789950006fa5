"""The isolation flags of create and run, parsed as the docker CLI parses them (cli/command/container/opts.go):
--security-opt (a seccomp profile file is read here and its content sent, as docker does), --device, --ulimit,
--tmpfs and --sysctl."""

import json
import re
from pathlib import Path

from runtime.errors import InvalidParameter

_DEVICE_MODE = re.compile(r"^[rwm]{1,3}$")


def security_opt(text: str) -> str:
    key, sep, value = text.partition("=")
    if not sep and key != "no-new-privileges":
        key, sep, value = text.partition(":")
    if (not sep or not value) and key != "no-new-privileges":
        raise InvalidParameter(f'Invalid --security-opt: "{text}"')
    if key != "seccomp" or value in ("builtin", "unconfined"):
        return text
    try:
        profile = Path(value).read_text()
    except OSError as e:
        raise InvalidParameter(f"opening seccomp profile ({value}) failed: {e.strerror}") from None
    try:
        compact = json.dumps(json.loads(profile), separators=(",", ":"))
    except ValueError as e:
        raise InvalidParameter(f"compacting json for seccomp profile ({value}) failed: {e}") from None
    return f"seccomp={compact}"


def device(text: str) -> dict[str, str]:
    """`/dev/x[:/dev/y][:rwm]` as HostConfig.Devices' entry."""
    parts = text.split(":")
    if len(parts) > 3:
        raise InvalidParameter(f"invalid device specification: {text}")
    source, target, permissions = parts[0], "", "rwm"
    if len(parts) == 3:
        target, permissions = parts[1], parts[2]
    elif len(parts) == 2:
        if _DEVICE_MODE.match(parts[1]):
            permissions = parts[1]
        else:
            target = parts[1]
    if not _DEVICE_MODE.match(permissions):
        raise InvalidParameter(f"invalid device mode: {permissions}")
    return {"PathOnHost": source, "PathInContainer": target or source, "CgroupPermissions": permissions}


def ulimit(text: str) -> dict[str, object]:
    """`name=soft[:hard]` (go-units ParseUlimit)."""
    name, sep, limits = text.partition("=")
    if not sep:
        raise InvalidParameter(f"invalid ulimit argument: {text}")
    soft, _, hard = limits.partition(":")
    try:
        soft_value = int(soft)
        hard_value = int(hard) if hard else soft_value
    except ValueError:
        raise InvalidParameter(f"invalid ulimit argument: {text}") from None
    if soft_value > hard_value:
        raise InvalidParameter(
            f"ulimit soft limit must be less than or equal to hard limit: {soft_value} > {hard_value}"
        )
    return {"Name": name, "Soft": soft_value, "Hard": hard_value}


def tmpfs(text: str) -> tuple[str, str]:
    path, _, options = text.partition(":")
    return path, options


def sysctl(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise InvalidParameter(f"sysctl '{text}' is not allowed")
    return key, value
