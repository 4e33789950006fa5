"""copy_out: an image directory's merged content copied into a volume (root: whiteouts, owners)."""

import io
import os
import stat

import pytest

from runtime.images.archives import ImageArchives
from runtime.images.store import ImageStore
from tests.support.imagetars import directory, file, hardlink, image_config, legacy_save_archive, symlink, tar_bytes

pytestmark = pytest.mark.root

BASE = tar_bytes(
    [
        directory("data", mode=0o750, uid=999, gid=998),
        file("data/a", b"base a"),
        file("data/b", b"base b"),
        file("data/keep", b"kept", uid=5, gid=6, mode=0o600),
        directory("data/sub"),
        file("data/sub/c", b"hidden by opaque"),
        directory("data/gone"),
        file("data/gone/x", b"hidden by whiteout"),
        file("data/hard", b"linked"),
        file("data/hard2", b"linked"),
    ]
)
MIDDLE = tar_bytes(
    [
        directory("data", mode=0o750, uid=999, gid=998),
        file("data/.wh.a"),
        file("data/.wh.gone"),
        directory("data/sub"),
        file("data/sub/.wh..wh..opq"),
        file("data/sub/d", b"new d"),
    ]
)
TOP = tar_bytes(
    [
        directory("data", mode=0o750, uid=999, gid=998),
        file("data/b", b"top b"),
        symlink("data/link", "/etc/passwd"),
        symlink("vol", "/data"),
        symlink("rel", "data/sub"),
    ]
)


@pytest.fixture
def image(tmp_path):
    store = ImageStore(tmp_path / "data-root")
    config = image_config([BASE, MIDDLE, TOP])
    ImageArchives(store).load(io.BytesIO(legacy_save_archive(config, [BASE, MIDDLE, TOP], ["merged:latest"])))
    return store, store.resolve("merged")


def tree_of(path) -> dict:
    found = {}
    for directory_path, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(directory_path, name)
            relative = os.path.relpath(full, path)
            if os.path.islink(full):
                found[relative] = "-> " + os.readlink(full)
            elif os.path.isdir(full):
                found[relative] = "dir"
            else:
                found[relative] = open(full, "rb").read().decode()
    return found


def test_copy_out_merges_layers_with_whiteouts_and_opaque_dirs(image, tmp_path):
    store, merged = image
    dest = tmp_path / "volume"
    dest.mkdir()
    store.copy_out(merged, "/data", dest)
    assert tree_of(dest) == {
        "b": "top b",
        "keep": "kept",
        "hard": "linked",
        "hard2": "linked",
        "link": "-> /etc/passwd",
        "sub": "dir",
        "sub/d": "new d",
    }
    keep = os.lstat(dest / "keep")
    assert (keep.st_uid, keep.st_gid, stat.S_IMODE(keep.st_mode)) == (5, 6, 0o600)
    root_info = os.lstat(dest)
    assert (root_info.st_uid, root_info.st_gid, stat.S_IMODE(root_info.st_mode)) == (999, 998, 0o750)


@pytest.mark.parametrize(("path", "expected"), [("/vol", {"b", "keep"}), ("rel", {"d"}), ("/data/../data/sub", {"d"})])
def test_copy_out_follows_symlinks_inside_the_image(image, tmp_path, path, expected):
    store, merged = image
    dest = tmp_path / "volume"
    dest.mkdir()
    store.copy_out(merged, path, dest)
    assert expected <= set(os.listdir(dest))


@pytest.mark.parametrize("path", ["/data/a", "/data/gone", "/nothing", "/data/b"])
def test_copy_out_of_absent_or_hidden_paths_copies_nothing(image, tmp_path, path):
    store, merged = image
    dest = tmp_path / "volume"
    dest.mkdir()
    store.copy_out(merged, path, dest)
    assert os.listdir(dest) == []


def test_hard_links_stay_hard_links(tmp_path):
    store = ImageStore(tmp_path / "root")
    layer = tar_bytes([directory("v"), file("v/one", b"x"), hardlink("v/two", "v/one")])
    ImageArchives(store).load(io.BytesIO(legacy_save_archive(image_config([layer]), [layer], ["h:1"])))
    dest = tmp_path / "volume"
    dest.mkdir()
    store.copy_out(store.resolve("h:1"), "/v", dest)
    assert os.lstat(dest / "one").st_ino == os.lstat(dest / "two").st_ino
    assert sorted(os.listdir(dest)) == ["one", "two"]
