"""The image store against the real kernel: layers it extracts, mounted by overlayfs, run busybox.

Checks that the overlay form we write (0/0 whiteouts, opaque xattrs, base-first layer order) is what the
kernel reads, and that copy_out sees the same merged tree the mount shows.
"""

import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from runtime.api.shapes import images as shapes
from runtime.images.archives import ImageArchives
from runtime.images.busybox import BUSYBOX_CANDIDATES, write_busybox_rootfs
from runtime.images.store import ImageStore

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not any(c.is_file() for c in BUSYBOX_CANDIDATES), reason="busybox-static not installed"),
]


def _tar(entries: list[tuple[str, bytes | None]]) -> bytes:
    """Entries: (name, data) for files, (name/, None) for directories."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name.rstrip("/"))
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _docker_save(config: dict, layers: list[bytes], tag: str) -> bytes:
    config_bytes = json.dumps(config).encode()
    members = [(f"l{i}/layer.tar", layer) for i, layer in enumerate(layers)]
    members += [("config.json", config_bytes)]
    manifest = [{"Config": "config.json", "RepoTags": [tag], "Layers": [m for m, _ in members[:-1]]}]
    members += [("manifest.json", json.dumps(manifest).encode())]
    return _tar(members)


@pytest.fixture
def store(tmp_path):
    return ImageStore(tmp_path / "data-root")


@pytest.fixture
def busybox_plus_layer(store):
    """busybox imported, then an image on top: etc/motd added, bin/ls whited out, var/www made opaque."""
    rootfs = io.BytesIO()
    write_busybox_rootfs(rootfs)
    base = ImageArchives(store).import_rootfs(io.BytesIO(rootfs.getvalue()), "busybox")
    www = _tar([("var/www/index.html", b"old page")])
    top = _tar(
        [
            ("etc/", None),
            ("etc/motd", b"welcome\n"),
            ("bin/", None),
            ("bin/.wh.ls", b""),
            ("var/www/", None),
            ("var/www/.wh..wh..opq", b""),
            ("var/www/new.html", b"new page"),
        ]
    )
    config = json.loads(json.dumps(base.config))
    config["rootfs"]["diff_ids"] += [_sha(www), _sha(top)]
    config["history"] += [{"created_by": "www"}, {"created_by": "top"}]
    ImageArchives(store).load(io.BytesIO(_docker_save(config, [rootfs.getvalue(), www, top], "layered:latest")))
    return store.resolve("layered")


@pytest.fixture
def mounted(store, busybox_plus_layer, tmp_path):
    target = tmp_path / "merged"
    target.mkdir()
    lower = ":".join(str(p) for p in reversed(store.layer_paths(busybox_plus_layer)))
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower}", str(target)], check=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def test_overlay_mount_of_stored_layers_runs_busybox(mounted):
    assert not (mounted / "bin/ls").exists() and not (mounted / "bin/ls").is_symlink()
    assert (mounted / "bin/cat").is_symlink()
    assert sorted(os.listdir(mounted / "var/www")) == ["new.html"]
    result = subprocess.run(
        ["chroot", str(mounted), "/bin/sh", "-c", "cat /etc/motd; id -un; echo $((6*7))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert result.stdout == "welcome\nroot\n42\n"


@pytest.mark.parametrize("path", ["/etc", "/var/www", "/bin"])
def test_copy_out_matches_the_kernels_merged_view(store, busybox_plus_layer, mounted, tmp_path, path):
    dest = tmp_path / "volume"
    dest.mkdir()
    store.copy_out(busybox_plus_layer, path, dest)
    kernel = mounted / path.lstrip("/")
    assert sorted(os.listdir(dest)) == sorted(os.listdir(kernel))
    for name in os.listdir(kernel):
        ours, theirs = os.lstat(dest / name), os.lstat(kernel / name)
        assert (ours.st_mode, ours.st_uid, ours.st_size) == (theirs.st_mode, theirs.st_uid, theirs.st_size), name


def test_save_load_round_trip_of_a_layered_image(store, busybox_plus_layer, tmp_path: Path):
    archive = io.BytesIO()
    ImageArchives(store).save(["layered"], archive)
    other = ImageStore(tmp_path / "other-root")
    loaded_lines = shapes.load_lines(ImageArchives(other).load(io.BytesIO(archive.getvalue())))
    assert loaded_lines == ["Loaded image: layered:latest"]
    loaded = other.resolve("layered")
    assert loaded.id == busybox_plus_layer.id and loaded.size == busybox_plus_layer.size
    assert (other.layer_paths(loaded)[-1] / "etc/motd").read_bytes() == b"welcome\n"
