"""Docker's shapes for a container's filesystem: the X-Docker-Container-Path-Stat header of `docker cp`, the
changes of `docker diff`."""

import base64
import json
import stat

from common.rfc3339 import format_ns
from runtime.engine.copyarchive import PathStat
from runtime.images.upperchanges import Change

PATH_STAT_HEADER = "X-Docker-Container-Path-Stat"
# Go's os.FileMode type bits (io/fs), which the header's "mode" carries instead of st_mode's S_IF* bits.
_GO_TYPE = {
    stat.S_IFDIR: 1 << 31,
    stat.S_IFLNK: 1 << 27,
    stat.S_IFBLK: 1 << 26,
    stat.S_IFCHR: (1 << 26) | (1 << 21),
    stat.S_IFIFO: 1 << 25,
    stat.S_IFSOCK: 1 << 24,
}
_GO_SPECIAL = ((stat.S_ISUID, 1 << 23), (stat.S_ISGID, 1 << 22), (stat.S_ISVTX, 1 << 20))


def go_file_mode(st_mode: int) -> int:
    mode = (st_mode & 0o777) | _GO_TYPE.get(stat.S_IFMT(st_mode), 0)
    for bit, go_bit in _GO_SPECIAL:
        if st_mode & bit:
            mode |= go_bit
    return mode


def path_stat_header(found: PathStat) -> tuple[str, str]:
    """The header as moby sets it: base64 (standard alphabet) of the JSON of types.ContainerPathStat."""
    document = {
        "name": found.name,
        "size": found.size,
        "mode": go_file_mode(found.mode),
        "mtime": format_ns(found.mtime_ns),
        "linkTarget": found.link_target,
    }
    encoded = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    return PATH_STAT_HEADER, encoded


def changes_shape(changes: list[Change]) -> list[dict] | None:
    """GET /containers/{id}/changes: null when nothing changed, as Docker's nil slice encodes."""
    return [{"Path": change.path, "Kind": int(change.kind)} for change in changes] or None
