"""Image config documents: the one `docker import` writes, and the fields read back from any config."""

import json
import platform
from collections.abc import Sequence

from common.rfc3339 import format_ns, unix_seconds
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


def host_architecture() -> str:
    machine = platform.machine()
    return _GOARCH.get(machine, machine)


def created_seconds(created: str | None) -> int:
    """The unix time of a config's RFC 3339 `created`; 0 when absent or unreadable (Docker shows no date)."""
    return int(unix_seconds(created) or 0)


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
    created = format_ns(created_ns)
    comment = message or "Imported from -"
    return {
        "architecture": host_architecture(),
        "os": "linux",
        "created": created,
        "comment": comment,
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "comment": comment}],  # no created_by, as moby's
    }


def diff_ids(config: dict) -> list[str]:
    return list((config.get("rootfs") or {}).get("diff_ids") or [])
