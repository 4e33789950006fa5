"""dockerd's `--userns-remap`: whose subordinate ranges (/etc/subuid, /etc/subgid) containers' ids map to.

`default` means the user `dockremap`, made with its ranges when missing, as dockerd does; a name or a uid, with
an optional group or gid, names an existing user (moby daemon/daemon_unix.go parseRemappedRoot, its messages).
The ranges give each container a user namespace whose id 0 is the first subordinate id (moby idtools'
createIDMap: the ranges sorted by start, container ids counted from 0 across them).
"""

import grp
import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import InvalidParameter

DEFAULT_SPECIFIER = "default"
DEFAULT_USER = "dockremap"
SUBUID, SUBGID = Path("/etc/subuid"), Path("/etc/subgid")
# dockerd's createSubordinateRanges: the first free range of this size at or above this start
RANGE_START, RANGE_SIZE = 100000, 65536
OVERFLOW_ID = 65534  # /proc/sys/kernel/overflowuid: what an id without a mapping shows as


class RemapError(InvalidParameter):
    """--userns-remap names no usable user, group or ranges."""


@dataclass(frozen=True)
class IdRange:
    container: int  # first id inside the namespace
    host: int  # the host id it is
    size: int


@dataclass(frozen=True)
class IdMapping:
    user: str
    group: str
    uids: tuple[IdRange, ...]
    gids: tuple[IdRange, ...]

    @property
    def root(self) -> tuple[int, int]:
        """The host uid and gid the containers' root is (the data root's `<uid>.<gid>`)."""
        return self.uids[0].host, self.gids[0].host

    def host_ids(self, uid: int, gid: int) -> tuple[int, int]:
        """The host ids of a container's uid and gid."""
        return _to_host(self.uids, uid, "uid"), _to_host(self.gids, gid, "gid")

    def container_ids(self, uid: int, gid: int) -> tuple[int, int]:
        """The ids a container sees for host ids; one outside the ranges is the kernel's overflow id, nobody's."""
        return _to_container(self.uids, uid), _to_container(self.gids, gid)

    def as_spec(self) -> dict[str, list[list[int]]]:
        """uid_map and gid_map as the kernel reads them, one [inside, outside, count] per line."""
        return {
            "uid_map": [[r.container, r.host, r.size] for r in self.uids],
            "gid_map": [[r.container, r.host, r.size] for r in self.gids],
        }


def _to_host(ranges: tuple[IdRange, ...], value: int, what: str) -> int:
    for r in ranges:
        if r.container <= value < r.container + r.size:
            return r.host + value - r.container
    raise RemapError(f"Container ID {value} cannot be mapped to a host ID ({what})")


def _to_container(ranges: tuple[IdRange, ...], value: int) -> int:
    for r in ranges:
        if r.host <= value < r.host + r.size:
            return r.container + value - r.host
    return OVERFLOW_ID


def _lookup_user(text: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwuid(int(text)) if text.isdigit() else pwd.getpwnam(text)
    except KeyError:
        if text.isdigit():
            raise RemapError(f"Uid {text} has no entry in /etc/passwd: user: unknown userid {text}") from None
        raise RemapError(f'Error during uid lookup for "{text}": user: unknown user {text}') from None


def _lookup_group(text: str, by_name_of: str) -> str:
    try:
        return grp.getgrgid(int(text)).gr_name if text.isdigit() else grp.getgrnam(text).gr_name
    except KeyError:
        if text.isdigit():
            raise RemapError(f"Gid {text} has no entry in /etc/group: group: unknown groupid {text}") from None
        why = f"group: unknown group {text}"
        raise RemapError(f'Error during {by_name_of} lookup for "{text}": {why}') from None


def parse_remap(
    value: str, default_user: str = DEFAULT_USER, subuid: Path = SUBUID, subgid: Path = SUBGID
) -> tuple[str, str]:
    """The user and group names --userns-remap names; `default` makes `default_user` and its ranges if absent."""
    parts = value.split(":")
    if len(parts) > 2 or not parts[0]:
        raise RemapError(f'Invalid user/group specification in --userns-remap: "{value}"')
    name = parts[0]
    if name == DEFAULT_SPECIFIER and len(parts) == 1:
        try:
            pwd.getpwnam(default_user)
        except KeyError:
            add_remap_user(default_user, subuid, subgid)
        return default_user, default_user
    user = _lookup_user(name).pw_name
    if len(parts) == 2:
        return user, _lookup_group(parts[1], "groupname")
    return user, _lookup_group(name, "gid")


def add_remap_user(name: str, subuid: Path = SUBUID, subgid: Path = SUBGID) -> None:
    """dockerd's AddNamespaceRangesUser: a system user with no shell, and a free range in each file."""
    done = subprocess.run(["useradd", "-r", "-s", "/bin/false", name], capture_output=True, text=True)
    if done.returncode != 0:
        raise RemapError(f'Error during "{name}" user creation: {done.stderr.strip()}')
    for path in (subuid, subgid):
        start = first_free_range(_read_ranges(path, None))
        with open(path, "a") as f:
            f.write(f"{name}:{start}:{RANGE_SIZE}\n")


def first_free_range(taken: list[tuple[int, int]]) -> int:
    """The lowest start at or above RANGE_START where RANGE_SIZE ids overlap none of `taken` (start, size)."""
    start = RANGE_START
    for begin, size in sorted(taken):
        if begin + size <= start:
            continue
        if begin >= start + RANGE_SIZE:
            break
        start = begin + size
    return start


def _read_ranges(path: Path, owners: tuple[str, ...] | None) -> list[tuple[int, int]]:
    """(start, size) of every line of `path` whose owner is in `owners` (every line with None)."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    ranges = []
    for line in lines:
        fields = line.strip().split(":")
        if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
            if owners is None or fields[0] in owners:
                ranges.append((int(fields[1]), int(fields[2])))
    return ranges


def _id_ranges(ranges: list[tuple[int, int]]) -> tuple[IdRange, ...]:
    inside, out = 0, []
    for start, size in sorted(ranges):
        out.append(IdRange(inside, start, size))
        inside += size
    return tuple(out)


def load_mapping(user: str, group: str, subuid: Path = SUBUID, subgid: Path = SUBGID) -> IdMapping:
    """The user's ranges from `subuid` and the group's from `subgid` (each file names them or their ids)."""
    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    uids = _id_ranges(_read_ranges(subuid, (user, str(uid))))
    if not uids:
        raise RemapError(f'Can\'t create ID mappings: No subuid ranges found for user "{user}"')
    gids = _id_ranges(_read_ranges(subgid, (group, str(gid))))
    if not gids:
        raise RemapError(f'Can\'t create ID mappings: No subgid ranges found for group "{group}"')
    return IdMapping(user, group, uids, gids)


def resolve_remap(
    value: str, default_user: str = DEFAULT_USER, subuid: Path = SUBUID, subgid: Path = SUBGID
) -> IdMapping | None:
    """The daemon's mapping for --userns-remap `value`; None for root (dockerd: remapping root to itself is
    no remapping) or an empty value."""
    if not value:
        return None
    user, group = parse_remap(value, default_user, subuid, subgid)
    if user == "root":
        return None
    return load_mapping(user, group, subuid, subgid)


def remapped_data_root(base: Path, mapping: IdMapping) -> Path:
    """dockerd's setupDaemonRoot: `<base>/<uid>.<gid>`, root's and the remapped group's (0710), under a base
    others may traverse (0711), so the containers' root can reach what is bound from it."""
    uid, gid = mapping.root
    root = base / f"{uid}.{gid}"
    base.mkdir(mode=0o711, parents=True, exist_ok=True)
    base.chmod(0o711)
    root.mkdir(mode=0o710, exist_ok=True)
    os.chown(root, 0, gid)
    root.chmod(0o710)
    return root


def shift_owners(directory: Path, mapping: IdMapping) -> None:
    """Every file under `directory`, itself included, given the host ids its owner has in the mapping."""
    for path in (directory, *directory.rglob("*")):
        st = path.lstat()
        os.lchown(path, *mapping.host_ids(st.st_uid, st.st_gid))
        if not stat.S_ISLNK(st.st_mode):
            os.chmod(path, stat.S_IMODE(st.st_mode))  # chown clears setuid and setgid bits, even root's
