"""Volume names, drivers and driver options: the checks shared by `volume create` and by mount planning,
so a container create refuses a bad name before any volume exists.

Texts are Docker's (moby daemon/volume/local/local.go, service/store.go): clients and people match on them.
"""

import re
import secrets
from collections.abc import Mapping

from runtime.errors import InvalidParameter, NotFound

LOCAL_DRIVER = "local"
# Docker marks volumes created without a name with this label; `volume prune` removes only those by default.
ANONYMOUS_LABEL = "com.docker.volume.anonymous"
# A volume's name is a directory name under <data-root>/volumes: nothing that could climb out of it.
NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NAME_PATTERN = re.compile(rf"{NAME_CHARS}+\Z")
# Options Docker's local driver knows; porthole mounts no devices into volumes and has no quota support.
_LOCAL_OPTIONS = frozenset({"type", "o", "device", "size"})
_NAME_MAX = 255  # a directory name (ext4, xfs, btrfs)


def validate_volume_name(name: str) -> None:
    """Raise InvalidParameter with Docker's text unless `name` can name a local volume."""
    if len(name) == 1:
        raise InvalidParameter(
            f"create {name}: volume name is too short, names should be at least two alphanumeric characters"
        )
    if not _NAME_PATTERN.match(name):
        raise InvalidParameter(
            f'create {name}: "{name}" includes invalid characters for a local volume name, only '
            f'"{NAME_CHARS}" are allowed. If you intended to pass a host directory, use absolute path'
        )
    if len(name) > _NAME_MAX:
        # Docker would fail later, creating the directory (500); the name is the client's mistake.
        raise InvalidParameter(f"create {name}: volume name is too long: {len(name)} characters, at most {_NAME_MAX}")


def validate_driver(name: str, driver: str) -> None:
    """Raise NotFound, as Docker does for a missing plugin, unless `driver` is the local driver."""
    if driver not in ("", LOCAL_DRIVER):
        raise NotFound(f'create {name}: error looking up volume plugin {driver}: plugin "{driver}" not found')


def validate_driver_opts(name: str, opts: Mapping[str, str] | None) -> None:
    """Raise InvalidParameter for an option the local driver does not know, or one porthole does not serve."""
    for key in opts or {}:
        if key not in _LOCAL_OPTIONS:
            raise InvalidParameter(f'create {name}: invalid option: "{key}"')
        raise InvalidParameter(
            f'create {name}: volume option "{key}" is not supported by porthole: local volumes are plain '
            "directories (no device mounts, no size quota)"
        )


def new_anonymous_name() -> str:
    """64 random hex digits, never all digits in the first 12 (they would read as a short numeric id)."""
    while True:
        name = secrets.token_hex(32)
        if not name[:12].isdigit():
            return name
