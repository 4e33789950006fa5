"""docker cp's unpacking rules (moby's archive.Unpack): names that climb out, links that leave the directory,
directories merged, replacements refused with noOverwriteDirNonDir, directory mtimes set last."""

import io
import os
import tarfile

import pytest

from runtime.engine.untar import UntarOptions, unpack
from runtime.errors import InvalidParameter
from runtime.security.userns import IdMapping, IdRange

OWNER = UntarOptions(owner=(os.getuid(), os.getgid()))


def tar_of(*entries: tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for entry in entries:
            info, data = entry if isinstance(entry, tuple) else (entry, None)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buffer.seek(0)
    return buffer


def member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "", mtime: int = 1000) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime = kind, linkname, mtime
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o640
    return info


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ((member("../x"), b"x"), "is outside of"),
        ((member("a/../../x"), b"x"), "is outside of"),
        (member("h", tarfile.LNKTYPE, "../etc/passwd"), "invalid hardlink"),
        (member("s", tarfile.SYMTYPE, "../../etc"), "invalid symlink"),
        (member("d/s", tarfile.SYMTYPE, "../../x"), "invalid symlink"),
    ],
)
def test_escapes_are_refused(tmp_path, entry, why):
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(InvalidParameter, match=why):
        unpack(tar_of(entry), str(target), OWNER)
    assert not (tmp_path / "x").exists() and not (tmp_path / "s").exists()


def test_absolute_names_and_absolute_symlinks_count_from_the_directory(tmp_path):
    unpack(tar_of((member("/abs/f"), b"f"), member("l", tarfile.SYMTYPE, "/etc")), str(tmp_path), OWNER)
    assert (tmp_path / "abs" / "f").read_bytes() == b"f"
    assert os.readlink(tmp_path / "l") == "/etc"


def test_files_replace_files_and_directories_merge(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep").write_text("keep")
    (tmp_path / "f").write_text("old")
    unpack(
        tar_of(member("d", tarfile.DIRTYPE, mtime=5000), (member("d/new"), b"n"), (member("f"), b"new")),
        str(tmp_path),
        OWNER,
    )
    assert (tmp_path / "d" / "keep").read_text() == "keep" and (tmp_path / "d" / "new").read_text() == "n"
    assert (tmp_path / "f").read_text() == "new" and oct((tmp_path / "f").stat().st_mode & 0o777) == "0o640"
    assert (tmp_path / "d").stat().st_mtime == 5000  # set after its children were written


def test_no_overwrite_dir_non_dir(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("f")
    strict = UntarOptions(no_overwrite_dir_non_dir=True, owner=OWNER.owner)
    with pytest.raises(InvalidParameter, match="cannot overwrite directory"):
        unpack(tar_of((member("d"), b"x")), str(tmp_path), strict)
    with pytest.raises(InvalidParameter, match="cannot overwrite non-directory"):
        unpack(tar_of(member("f", tarfile.DIRTYPE)), str(tmp_path), strict)
    unpack(tar_of((member("d"), b"x")), str(tmp_path), OWNER)  # allowed without the flag
    assert (tmp_path / "d").read_text() == "x"


def test_an_empty_stream_is_a_tar_of_nothing(tmp_path):
    unpack(io.BytesIO(b""), str(tmp_path), OWNER)
    assert list(tmp_path.iterdir()) == []


def test_garbage_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidParameter, match="not a valid tar archive"):
        unpack(io.BytesIO(b"this is not a tar" * 100), str(tmp_path), OWNER)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to other ids needs root")
def test_owners_are_mapped_to_the_host_ids_and_an_unmappable_one_is_refused(tmp_path):
    mapping = IdMapping("u", "g", (IdRange(0, 200000, 10),), (IdRange(0, 300000, 10),))
    given = member("given")
    given.uid, given.gid = 5, 6
    unpack(tar_of((given, b"hi")), str(tmp_path), UntarOptions(owners=mapping.host_ids))
    info = (tmp_path / "given").stat()
    assert (info.st_uid, info.st_gid) == (200005, 300006)
    given.uid = 70000
    with pytest.raises(InvalidParameter, match="Container ID 70000 cannot be mapped to a host ID"):
        unpack(tar_of((given, b"hi")), str(tmp_path), UntarOptions(owners=mapping.host_ids))
