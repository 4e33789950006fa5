"""Volume names: the checks shared by `volume create` and by mount planning, so a container create refuses a
bad name before any volume exists.

Texts are Docker's (moby daemon/volume/local/local.go, service/store.go): clients and people match on them.
"""

import re
import secrets

from runtime.errors import InvalidParameter

LOCAL_DRIVER = "local"
# Docker marks volumes created without a name with this label; `volume prune` removes only those by default.
ANONYMOUS_LABEL = "com.docker.volume.anonymous"
# A volume's name is a directory name under <data-root>/volumes: nothing that could climb out of it.
NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NAME_PATTERN = re.compile(rf"{NAME_CHARS}+\Z")
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


def new_anonymous_name() -> str:
    """64 random hex digits, never all digits in the first 12 (they would read as a short numeric id)."""
    while True:
        name = secrets.token_hex(32)
        if not name[:12].isdigit():
            return name
