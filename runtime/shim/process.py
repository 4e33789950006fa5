"""The last steps of a container process before execve: user, capabilities, working dir, fds, exec.

Runs after pivot_root, so user and group names are looked up in the container's own /etc/passwd and /etc/group.
"""

import os
import signal
from dataclasses import dataclass

from runtime.linux.constants import PR_CAPBSET_DROP, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS
from runtime.linux.syscalls import capset, prctl, seccomp_set_filter

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ExecError(Exception):
    """A container process could not be started; the message is what `docker run` prints."""


@dataclass(frozen=True)
class User:
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


def _read_db(path: str) -> list[list[str]]:
    try:
        with open(path) as f:
            return [line.rstrip("\n").split(":") for line in f if line.strip() and not line.startswith("#")]
    except FileNotFoundError:
        return []


def resolve_user(spec: str) -> User:
    """Docker's `-u name|uid[:group|gid]`, looked up in the container's passwd and group files."""
    name, _, group = (spec or "0").partition(":")
    passwd = _read_db("/etc/passwd")
    entry = next((e for e in passwd if len(e) >= 6 and (e[0] == name or e[2] == name)), None)
    if entry is None:
        if not name.isdigit():
            raise ExecError(f"unable to find user {name}: no matching entries in passwd file")
        uid, gid, home, user_name = int(name), 0, "/", None
    else:
        uid, gid, home, user_name = int(entry[2]), int(entry[3]), entry[5] or "/", entry[0]
    groups_db = _read_db("/etc/group")
    member_of: tuple[int, ...] = ()
    if group:
        match = next((g for g in groups_db if len(g) >= 3 and (g[0] == group or g[2] == group)), None)
        if match is None:
            if not group.isdigit():
                raise ExecError(f"unable to find group {group}: no matching entries in group file")
            gid = int(group)
        else:
            gid = int(match[2])
    elif user_name:  # runc reads the memberships only when -u names no group
        member_of = tuple(int(g[2]) for g in groups_db if len(g) >= 4 and user_name in g[3].split(","))
    # moby's getUser puts the primary gid first among the supplementary groups: `id` shows groups=0(root),10(wheel)
    return User(uid, gid, (gid, *member_of), home)


def with_groups(user: User, group_add: list[str]) -> User:
    """--group-add: more supplementary groups, by name from the container's /etc/group or by number."""
    if not group_add:
        return user
    groups_db = _read_db("/etc/group")
    extra = []
    for group in group_add:
        match = next((g for g in groups_db if len(g) >= 3 and g[0] == group), None)
        if match is not None:
            extra.append(int(match[2]))
        elif group.isdigit():
            extra.append(int(group))
        else:
            raise ExecError(f"Unable to find group {group}: no matching entries in group file")
    return User(user.uid, user.gid, tuple(dict.fromkeys(user.groups + tuple(extra))), user.home)


def _cap_last_cap() -> int:
    with open("/proc/sys/kernel/cap_last_cap") as f:
        return int(f.read())


@dataclass(frozen=True)
class ProcessConfinement:
    """What the process runs under, from the spec (or the exec request)."""

    capabilities: int
    seccomp_program: bytes | None
    no_new_privileges: bool


def read_program(path: str | None) -> bytes | None:
    """The compiled seccomp program; read before pivot_root or setns, while the host's file is in reach."""
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def confine(user: User, confinement: ProcessConfinement) -> None:
    """no_new_privileges, seccomp, capabilities and the uid switch, in runc's order: without
    no_new_privileges, loading a filter needs CAP_SYS_ADMIN, so it goes first, before any is dropped; with it,
    as late as possible, so the filter has the fewest of our own calls to allow."""
    program = confinement.seccomp_program
    if confinement.no_new_privileges:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    elif program is not None:
        seccomp_set_filter(program)
    drop_privileges(user, confinement.capabilities)
    if confinement.no_new_privileges and program is not None:
        seccomp_set_filter(program)


def drop_privileges(user: User, capabilities: int) -> None:
    """Bounding set to `capabilities`, then the uid switch; root keeps `capabilities` as CapEff after exec,
    any other user gets none, as in Docker."""
    last = _cap_last_cap()
    for cap in range(last + 1):
        if not capabilities & (1 << cap):
            prctl(PR_CAPBSET_DROP, cap)
    prctl(PR_SET_KEEPCAPS, 1)
    os.setgroups(list(user.groups))
    os.setgid(user.gid)
    os.setuid(user.uid)
    prctl(PR_SET_KEEPCAPS, 0)
    capset(capabilities, capabilities, 0)


def environment(env: list[str], user: User, hostname: str | None, terminal: bool = False) -> list[str]:
    """moby's CreateDaemonEnvironment and ReplaceOrAppendEnvValues: PATH, HOSTNAME and, on a terminal (-t),
    TERM=xterm first, each entry replacing its key in place or appended; a bare KEY (`-e KEY` of a variable unset
    in the client) unsets KEY, a default or an earlier entry. Then HOME from passwd when still unset, as runc
    adds it."""
    merged = {"PATH": f"PATH={DEFAULT_PATH}"}
    if hostname is not None:
        merged["HOSTNAME"] = f"HOSTNAME={hostname}"
    if terminal:
        merged["TERM"] = "TERM=xterm"
    for item in env:
        key, equals, _ = item.partition("=")
        if equals:
            merged[key] = item
        else:
            merged.pop(key, None)
    merged.setdefault("HOME", f"HOME={user.home}")
    return list(merged.values())


def find_executable(name: str, env: dict[str, str]) -> str:
    """PATH lookup with the error texts the docker CLI maps to exit codes 127 and 126."""
    if "/" in name:
        if not os.path.exists(name):
            raise ExecError(f'exec: "{name}": stat {name}: no such file or directory')
        return name
    for directory in env.get("PATH", DEFAULT_PATH).split(":"):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise ExecError(f'exec: "{name}": executable file not found in $PATH')


def default_signals() -> None:
    """Every signal's default action and none blocked, as a new process expects. Ignored signals and the mask
    survive execve: without this a container would inherit Python's ignored SIGPIPE and SIGXFSZ, and whatever
    the daemon's parent ignored (a daemon started under nohup ignores SIGHUP, and `trap ... HUP` in a shell
    cannot catch a signal that was ignored when it started)."""
    for signum in signal.valid_signals():
        if signum not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                signal.signal(signum, signal.SIG_DFL)
            except (OSError, ValueError):  # the C library's own real-time signals
                pass
    signal.pthread_sigmask(signal.SIG_SETMASK, ())


def execute(args: list[str], env: list[str], keep_fd: int) -> None:
    """Close every inherited fd but stdio and `keep_fd` (close-on-exec), reset the signals, then exec; never
    returns."""
    for item in env:  # execve takes C strings: runc's words for an entry that cannot be one
        if "\0" in item:
            part = "name" if "\0" in item.partition("=")[0] else "value"
            escaped = item.replace("\0", "\\x00")  # no codec here: the init runs past pivot_root
            raise ExecError(f'environment variable {part} can\'t contain null(\\x00): "{escaped}"')
    env_map = dict(item.partition("=")[::2] for item in env)
    path = find_executable(args[0], env_map)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 65536)
    default_signals()
    try:
        os.execve(path, args, env_map)
    except PermissionError:
        raise ExecError(f'exec: "{args[0]}": permission denied') from None
    except IsADirectoryError:
        raise ExecError(f'exec: "{args[0]}": is a directory') from None
    except OSError as e:
        raise ExecError(f'exec: "{args[0]}": {e.strerror.lower()}') from None
