"""A remapped container's user namespace (dockerd's --userns-remap), made and entered by the shim's stage A.

The namespace is made first, by a throwaway child whose maps we write from outside (only a process of the
parent namespace may map ids other than its own), and kept as a descriptor: the image's layers are mounted
idmapped through it, so that files root owns on the host are root's in the container. What needs the host's
privileges (those idmapped mounts, the overlay, bind mounts of host paths the remapped root could not reach)
is mounted before the namespace is entered, in a mount namespace of stage A's own; the container's mount
namespace, made after, is a copy owned by the new user namespace.
"""

import os
import subprocess

from runtime.linux.constants import AT_RECURSIVE, CLONE_NEWUSER, MS_NODEV, MS_NOSUID, OPEN_TREE_CLONE
from runtime.linux.syscalls import idmap_mount, lean_fork, mount, move_mount, open_tree, setns, unshare


def _write_map(path: str, lines: list[list[int]]) -> None:
    with open(path, "w") as f:
        f.write("".join(f"{inside} {outside} {count}\n" for inside, outside, count in lines))


def make_user_namespace(mapping: dict[str, list[list[int]]]) -> int:
    """A descriptor of a new user namespace with `mapping`'s uid_map and gid_map."""
    unshared_r, unshared_w = os.pipe2(os.O_CLOEXEC)
    release_r, release_w = os.pipe2(os.O_CLOEXEC)
    child = lean_fork()
    if child == 0:
        code = 0
        try:
            os.close(release_w)
            unshare(CLONE_NEWUSER)
            os.write(unshared_w, b"1")
            os.read(release_r, 1)  # EOF when the parent holds the namespace
        except BaseException:  # noqa: BLE001 - the parent sees the missing byte and says why
            code = 1
        os._exit(code)
    os.close(unshared_w)
    os.close(release_r)
    try:
        if os.read(unshared_r, 1) != b"1":
            raise OSError("porthole: user namespace: the kernel refused a new one")
        _write_map(f"/proc/{child}/uid_map", mapping["uid_map"])
        _write_map(f"/proc/{child}/gid_map", mapping["gid_map"])
        return os.open(f"/proc/{child}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        # Not waited for: the child exits once released, and the shim, our subreaper, reaps it (waiting here
        # would add a round of scheduling to every start).
        os.close(unshared_r)
        os.close(release_w)


def spawn_user_namespace(mapping: dict[str, list[list[int]]]) -> int:
    """make_user_namespace for a process with threads (the daemon), where a bare fork is unsafe: the namespace
    is made by a spawned `unshare`, whose shell says when it is in it and then waits on its input."""
    holder = subprocess.Popen(
        ["unshare", "--user", "--", "sh", "-c", "echo in; exec cat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        if holder.stdout.readline() != b"in\n":
            raise OSError("porthole: user namespace: the kernel refused a new one")
        _write_map(f"/proc/{holder.pid}/uid_map", mapping["uid_map"])
        _write_map(f"/proc/{holder.pid}/gid_map", mapping["gid_map"])
        return os.open(f"/proc/{holder.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        holder.stdin.close()
        holder.stdout.close()
        holder.wait()


def idmapped_layers(lowerdirs: list[str], userns_fd: int, under: str) -> list[str]:
    """Each layer mounted at `under`/N through the namespace's mapping; `under` gets a tmpfs of this mount
    namespace (stage A's own), so the mounts vanish with it."""
    os.makedirs(under, mode=0o700, exist_ok=True)
    mount("tmpfs", under, "tmpfs", MS_NOSUID | MS_NODEV, "mode=700")
    mounted = []
    for index, layer in enumerate(lowerdirs):
        target = os.path.join(under, str(index))
        os.mkdir(target)
        fd = open_tree(layer, OPEN_TREE_CLONE)
        try:
            idmap_mount(fd, userns_fd)
            move_mount(fd, target)
        finally:
            os.close(fd)
        mounted.append(target)
    return mounted


def enter_user_namespace(userns_fd: int) -> None:
    """Become the namespace's root: ids 0 inside are the mapping's first host ids."""
    setns(userns_fd, CLONE_NEWUSER)
    os.close(userns_fd)
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    os.setgroups([])


def remount_here_unlocked() -> None:
    """Put a copy of the mount tree at the working directory on top of it and move in. The root stage A
    mounted reached this mount namespace as a copy, locked (the kernel keeps a less privileged namespace
    from looking under it), and pivot_root refuses a locked new root; a clone made here is not locked."""
    fd = open_tree(".", OPEN_TREE_CLONE | AT_RECURSIVE)
    try:
        move_mount(fd, ".")
        os.fchdir(fd)
    finally:
        os.close(fd)
