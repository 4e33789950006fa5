"""Layer extraction into overlayfs form and its safety checks (root: mknod, chown, trusted xattrs)."""

import bz2
import gzip
import io
import lzma
import os
import stat
import tarfile
import threading

import pytest

from runtime.errors import InvalidParameter
from runtime.images.layerstore import LayerStore
from tests.support.imagetars import Entry, chardev, digest, directory, file, hardlink, symlink, tar_bytes

pytestmark = pytest.mark.root


@pytest.fixture
def layers(tmp_path):
    return LayerStore(tmp_path / "root", threading.RLock())


def add(layers: LayerStore, data: bytes):
    extracted = layers.add(io.BytesIO(data), "test")
    layers.unpin([extracted.diff_id])
    return extracted, layers.tree(extracted.diff_id)


def reassembled(layers: LayerStore, diff_id: str) -> bytes:
    return layers.open_tar(diff_id).read()


def test_whiteouts_become_char_devices_and_opaque_markers_an_xattr(layers):
    data = tar_bytes(
        [
            directory("a"),
            file("a/.wh.gone"),
            file(".wh.top"),
            file("b/.wh..wh..opq"),  # before its directory entry: still applied
            directory("b", mode=0o750),
            file("b/kept", b"k"),
            directory("c"),
            file("c/x"),
            file("c/.wh..wh..opq"),  # after siblings
            file("a/.wh..wh.plnk0"),  # aufs hard-link metadata: skipped
        ]
    )
    extracted, tree = add(layers, data)
    for whiteout in ("a/gone", "top"):
        info = os.lstat(tree / whiteout)
        assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(0, 0)
    assert os.getxattr(tree / "b", "trusted.overlay.opaque") == b"y"
    assert os.getxattr(tree / "c", "trusted.overlay.opaque") == b"y"
    assert stat.S_IMODE(os.lstat(tree / "b").st_mode) == 0o750
    assert (tree / "b/kept").read_bytes() == b"k"
    assert sorted(os.listdir(tree / "a")) == ["gone"]
    assert not [p for p in tree.rglob("*") if p.name.startswith(".wh.")]
    assert extracted.diff_id == digest(data)
    assert reassembled(layers, extracted.diff_id) == data


def test_metadata_links_and_devices_are_kept(layers):
    data = tar_bytes(
        [
            directory("bin", mode=0o711, mtime=1_000_000),
            file("bin/tool", b"#!/bin/sh\n", mode=0o4755, uid=1234, gid=5678, mtime=1_234_567),
            hardlink("bin/tool2", "bin/tool"),
            symlink("bin/sh", "/bin/busybox"),
            symlink("bin/rel", "tool"),
            chardev("dev/null", 1, 3),
            file("x", b"cap", pax={"SCHILY.xattr.user.note": "hello", "SCHILY.xattr.trusted.overlay.redirect": "/etc"}),
        ]
    )
    extracted, tree = add(layers, data)
    tool = os.lstat(tree / "bin/tool")
    assert (stat.S_IMODE(tool.st_mode), tool.st_uid, tool.st_gid, tool.st_mtime) == (0o4755, 1234, 5678, 1_234_567)
    assert os.lstat(tree / "bin/tool2").st_ino == tool.st_ino
    assert os.readlink(tree / "bin/sh") == "/bin/busybox"
    assert os.readlink(tree / "bin/rel") == "tool"
    bin_dir = os.lstat(tree / "bin")
    assert (stat.S_IMODE(bin_dir.st_mode), bin_dir.st_mtime) == (0o711, 1_000_000)
    null = os.lstat(tree / "dev/null")
    assert stat.S_ISCHR(null.st_mode) and null.st_rdev == os.makedev(1, 3)
    assert os.getxattr(tree / "x", "user.note") == b"hello"
    assert "trusted.overlay.redirect" not in os.listxattr(tree / "x")
    assert extracted.size == len(b"#!/bin/sh\n") + 3
    assert reassembled(layers, extracted.diff_id) == data


@pytest.mark.parametrize("umask", [0o022, 0o077, 0])
def test_files_and_symlinks_get_their_mode_and_owner_whatever_the_umask(layers, umask):
    # Files are created with their final mode and owner when the umask lets them (no chmod/chown then):
    # every other case must still come out exactly as the tar says.
    cases = {
        "plain": (0o644, 0, 0),
        "group-writable": (0o664, 0, 0),
        "everyone": (0o777, 0, 0),
        "private": (0o400, 0, 0),
        "setgid": (0o2755, 0, 0),
        "sticky": (0o1644, 0, 0),
        "other-owner": (0o644, 1000, 0),
        "other-group": (0o750, 0, 50),
    }
    links = {"link-root": (0, 0), "link-other": (1000, 50)}
    data = tar_bytes(
        [file(name, b"x", mode=mode, uid=uid, gid=gid) for name, (mode, uid, gid) in cases.items()]
        + [
            Entry(name, tarfile.SYMTYPE, mode=0o777, uid=uid, gid=gid, linkname="plain")
            for name, (uid, gid) in links.items()
        ]
    )
    previous = os.umask(umask)
    try:
        _, tree = add(layers, data)
    finally:
        os.umask(previous)
    for name, expected in cases.items():
        info = os.lstat(tree / name)
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == expected, name
    for name, owner in links.items():
        info = os.lstat(tree / name)
        assert (stat.S_ISLNK(info.st_mode), info.st_uid, info.st_gid) == (True, *owner), name


@pytest.mark.parametrize("tar_format", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_original_tar_is_rebuilt_byte_for_byte(layers, tar_format):
    long_dir = "d" * 90
    entries = (
        [directory(long_dir), file(f"{long_dir}/{'f' * 80}", b"x" * 70000)]
        if tar_format != tarfile.USTAR_FORMAT
        else []
    )
    entries += [
        file("same", b"first version"),
        file("same", b"second"),  # a later member replaces an earlier one
        directory("gone"),
        file("gone/inner", b"payload lost when replaced"),
        symlink("gone", "/elsewhere"),  # replaces a directory holding a file
        file("empty"),
        hardlink("link", "same"),
    ]
    data = tar_bytes(entries, tar_format) + b"\0" * 4096  # extra padding some writers leave
    extracted, tree = add(layers, data)
    assert (tree / "same").read_bytes() == b"second"
    assert os.readlink(tree / "gone") == "/elsewhere"
    assert reassembled(layers, extracted.diff_id) == data
    assert layers.tar_size(extracted.diff_id) == len(data)


@pytest.mark.parametrize(
    ("compress", "name"),
    [(gzip.compress, "gzip"), (bz2.compress, "bzip2"), (lzma.compress, "xz"), (lambda d: d, "plain")],
)
def test_compressed_layers_get_the_diff_id_of_the_uncompressed_tar(layers, compress, name):
    data = tar_bytes([file("hello", name.encode())])
    extracted, tree = add(layers, compress(data))
    assert extracted.diff_id == digest(data)
    assert (tree / "hello").read_text() == name


def test_zstd_layers_when_zstandard_is_installed(layers):
    zstandard = pytest.importorskip("zstandard")
    data = tar_bytes([file("z", b"zz")])
    extracted, _ = add(layers, zstandard.ZstdCompressor().compress(data))
    assert extracted.diff_id == digest(data)


def test_layer_shared_by_content(layers):
    data = tar_bytes([file("a", b"1")])
    first, _ = add(layers, data)
    second, _ = add(layers, data)
    assert first.diff_id == second.diff_id
    assert layers.all_diff_ids() == [first.diff_id]
    assert os.listdir(layers.directory(first.diff_id).parent.parent.parent / "tmp") == []


def escape_cases(outside: str):
    return [
        ([file("/etc/evil", b"x")], "'/etc/evil': absolute names are refused"),
        ([file("../evil", b"x")], "'../evil': the name climbs out of the layer with '..'"),
        ([file("a/../../evil", b"x")], "the name climbs out of the layer"),
        ([symlink("a", outside), file("a/passwd", b"pwned")], "'a/passwd': parent 'a' is a symlink"),
        ([symlink("a", outside), directory("a/sub")], "parent 'a' is a symlink"),
        ([symlink("a", outside), file("a/.wh..wh..opq")], "parent 'a' is a symlink"),
        ([hardlink("h", "/etc/passwd")], "hard link target '/etc/passwd' is outside the layer"),
        ([hardlink("h", "../x")], "hard link target '../x' is outside the layer"),
        ([hardlink("h", "missing")], "hard link target 'missing' does not exist in the layer"),
        ([directory("d"), hardlink("h", "d")], "hard link target 'd' is a directory"),
        ([symlink("s", "x"), hardlink("h", "s/y")], "hard link target 's/y' does not exist in the layer"),
        ([symlink("evil", "../../../../etc/passwd")], "symlink target '../../../../etc/passwd' climbs above"),
        ([symlink("a/b/evil", "../../../x")], "climbs above the layer root"),
        ([file("a/.wh...")], "whiteout of '..' names no file"),
        ([file("f"), file("f/child")], "parent 'f' is not a directory"),
        ([symlink(".", "/")], "the layer root can only be a directory"),
    ]


@pytest.mark.parametrize("case", range(len(escape_cases(""))))
def test_escapes_are_refused_and_leave_nothing_behind(layers, tmp_path, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    entries, message = escape_cases(str(outside))[case]
    with pytest.raises(InvalidParameter) as caught:
        layers.add(io.BytesIO(tar_bytes(entries + [file("after", b"x")])), "import")
    assert caught.value.message.startswith("images: import: layer member ")
    assert message in caught.value.message
    assert os.listdir(outside) == []
    assert os.listdir(tmp_path / "root" / "tmp") == []
    assert layers.all_diff_ids() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "images: import: archive is empty: expected a tar archive"),
        (b"this is not a tar archive at all" * 40, "images: import: not a valid tar archive"),
        (gzip.compress(b"plain text, gzipped")[:-1] + b"", "images: import: not a valid tar archive"),
        (gzip.compress(tar_bytes([file("big", b"x" * 100000)]))[:100], "images: import: not a valid tar archive"),
        (tar_bytes([file("big", b"x" * 100000)])[:5000], "images: import: not a valid tar archive at member 'big'"),
    ],
)
def test_not_a_tar_truncated_or_empty_is_a_clear_400(layers, tmp_path, data, message):
    with pytest.raises(InvalidParameter) as caught:
        layers.add(io.BytesIO(data), "import")
    assert message in caught.value.message
    assert os.listdir(tmp_path / "root" / "tmp") == []
    assert layers.all_diff_ids() == []


def test_a_tar_with_no_members_is_an_empty_layer(layers):
    extracted, tree = add(layers, b"\0" * 1024)
    assert os.listdir(tree) == []
    assert extracted.diff_id == digest(b"\0" * 1024)
