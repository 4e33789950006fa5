import io
import tarfile
from pathlib import Path

import pytest

from runtime.images.archives import ImageArchives
from runtime.images.busybox import BUSYBOX_CANDIDATES, write_busybox_rootfs
from runtime.images.store import ImageStore

HOST_BUSYBOX = next((c for c in BUSYBOX_CANDIDATES if c.is_file()), None)
needs_busybox = pytest.mark.skipif(HOST_BUSYBOX is None, reason="Debian's busybox-static is not installed")


def rootfs_bytes() -> bytes:
    out = io.BytesIO()
    write_busybox_rootfs(out)
    return out.getvalue()


@needs_busybox
def test_rootfs_tar_holds_busybox_applets_users_and_dirs():
    with tarfile.open(fileobj=io.BytesIO(rootfs_bytes())) as tar:
        members = {m.name: m for m in tar.getmembers()}
        passwd = tar.extractfile("etc/passwd").read().decode()
        group = tar.extractfile("etc/group").read().decode()
    assert members["bin/busybox"].size == HOST_BUSYBOX.stat().st_size
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "/bin/busybox"
    assert members["usr/bin/env"].linkname == "/bin/busybox"
    assert members["tmp"].mode == 0o1777 and members["root"].mode == 0o700
    assert {"proc", "sys", "dev", "var/www", "home"} <= set(members)
    assert "etc/hosts" not in members
    assert passwd.startswith("root:x:0:0:root:/root:/bin/sh\n")
    assert "nobody:x:65534:65534:" in passwd
    assert "root:x:0:\n" in group and "nogroup:x:65534:" in group
    assert {m.uid for m in members.values()} == {0} and {m.mtime for m in members.values()} == {946684800}


@needs_busybox
def test_rootfs_tar_is_deterministic():
    assert rootfs_bytes() == rootfs_bytes()


@needs_busybox
@pytest.mark.root
def test_rootfs_imports_with_a_working_sh(tmp_path: Path):
    store = ImageStore(tmp_path / "root")
    image = ImageArchives(store).import_rootfs(io.BytesIO(rootfs_bytes()), "busybox", changes=['CMD ["sh"]'])
    again = ImageArchives(store).import_rootfs(io.BytesIO(rootfs_bytes()), "busybox:again")
    assert image.diff_ids == again.diff_ids  # same busybox, same layer
    tree = store.layer_paths(image)[0]
    assert (tree / "bin/sh").readlink() == Path("/bin/busybox")
    assert (tree / "bin/busybox").stat().st_mode & 0o111
    assert image.config["config"]["Cmd"] == ["sh"]
