"""Image config documents: the one `docker import` writes, and the fields read back from any config."""

import json
import platform
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from runtime.images.changes import apply_changes

# Go's GOARCH names, which image configs and platform selectors use.
_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "i386": "386",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")
ZERO_TIME = "0001-01-01T00:00:00Z"


def host_architecture() -> str:
    machine = platform.machine()
    return _GOARCH.get(machine, machine)


def rfc3339_nano(unix_ns: int) -> str:
    """Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros."""
    seconds, nanoseconds = divmod(unix_ns, 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if nanoseconds:
        text += "." + f"{nanoseconds:09d}".rstrip("0")
    return text + "Z"


def unix_seconds(created: str | None) -> int:
    """The unix time of an RFC3339 `created` field; 0 when absent or unreadable (Docker shows no date)."""
    match = _RFC3339.fullmatch(created or "")
    if match is None:
        return 0
    base, _, zone = match.groups()
    moment = datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    return int(moment.astimezone(UTC).timestamp())


def canonical_json(document: object) -> bytes:
    """Compact JSON: the bytes we store for configs we create (the image id is their sha256)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def empty_container_config() -> dict:
    """The run defaults of an image nobody configured: Docker's zero container.Config, fields that matter."""
    return {
        "User": "",
        "Env": None,
        "Cmd": None,
        "Entrypoint": None,
        "WorkingDir": "",
        "Labels": None,
        "Volumes": None,
        "OnBuild": None,
    }


def import_container_config(changes: Sequence[str]) -> dict:
    """The run defaults of an imported image: none, unless `--change` lines set them."""
    return apply_changes(empty_container_config(), changes)


def import_config(diff_id: str, container_config: dict, message: str, created_ns: int) -> dict:
    """The image config `docker import` creates for one rootfs layer (moby daemon/images/image_import.go)."""
    created = rfc3339_nano(created_ns)
    comment = message or "Imported from -"
    return {
        "architecture": host_architecture(),
        "os": "linux",
        "created": created,
        "comment": comment,
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": "import", "comment": comment}],
    }


def diff_ids(config: dict) -> list[str]:
    return list((config.get("rootfs") or {}).get("diff_ids") or [])
