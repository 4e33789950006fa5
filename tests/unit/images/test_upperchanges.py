"""docker diff's rules on fixture trees: added, changed, deleted (whiteouts), parents reported once, directories
only copied up not reported, the runtime's mount points left out, sizes counted once per inode."""

import os
import stat

import pytest

from runtime.images.upperchanges import ChangeKind, upper_changes
from runtime.images.upperdiff import MOUNT_PLACEHOLDERS

A, C, D = ChangeKind.ADDED, ChangeKind.MODIFIED, ChangeKind.DELETED


def tree(root, files: dict[str, str | None]) -> str:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return str(root)


def same_times(upper, lower, *names):
    for name in names:
        info = os.stat(lower / name)
        os.utime(upper / name, ns=(info.st_atime_ns, info.st_mtime_ns))
        os.chmod(upper / name, stat.S_IMODE(info.st_mode))


def changes(upper, lower):
    return [(c.path, c.kind) for c in upper_changes(str(upper), [str(lower)], MOUNT_PLACEHOLDERS)]


def test_added_and_changed_with_parents(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    tree(lower, {"etc/passwd": "root", "usr/bin/x": "x"})
    tree(upper, {"etc/passwd": "root\nme", "usr/bin/y": "y", "new/file": "n"})
    same_times(upper, lower, "usr", "usr/bin", "etc")
    assert changes(upper, lower) == [
        ("/etc/passwd", C),
        ("/new", A),
        ("/new/file", A),
        ("/usr/bin", C),
        ("/usr/bin/y", A),
    ]


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteouts are character devices 0/0: mknod needs root")
def test_whiteouts_are_deletions(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    tree(lower, {"etc/group": "g", "etc/passwd": "p"})
    tree(upper, {"etc": None})
    os.mknod(upper / "etc" / "group", stat.S_IFCHR | 0o600, os.makedev(0, 0))
    same_times(upper, lower, "etc")
    assert changes(upper, lower) == [("/etc", C), ("/etc/group", D)]


def test_runtime_mount_points_are_not_changes(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    tree(lower, {"etc/passwd": "p"})
    tree(upper, {"proc": None, "sys": None, "dev": None, "etc/hosts": "", "etc/hostname": ""})
    os.chmod(upper / "etc", stat.S_IMODE(os.stat(lower / "etc").st_mode))  # its mtime moved: the mounts were made
    assert changes(upper, lower) == []
    (upper / "etc" / "hosts").write_text("written by hand")
    assert changes(upper, lower) == [("/etc", C), ("/etc/hosts", A)]


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to a remapped range needs root")
def test_a_remapped_copy_up_compares_by_the_owners_the_container_sees(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    tree(lower, {"usr/bin/x": "x"})
    tree(upper, {"usr/bin/y": "y"})
    same_times(upper, lower, "usr", "usr/bin")
    os.chown(upper / "usr", 100000, 100000)  # as the copy-up of a container whose root is host id 100000

    def seen_inside(uid: int, gid: int) -> tuple[int, int]:
        return uid - 100000, gid - 100000

    found = upper_changes(str(upper), [str(lower)], MOUNT_PLACEHOLDERS, seen_inside)
    assert [(c.path, c.kind) for c in found] == [("/usr/bin", C), ("/usr/bin/y", A)]
    assert ("/usr", C) in changes(upper, lower)  # read with the host's ids, it would look changed
