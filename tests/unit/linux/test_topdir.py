import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from runtime.images.layerstore import LayerStore
from runtime.linux.topdir import mark_top_directory


def _filesystem(path: Path) -> str:
    command = ["stat", "-f", "-c", "%T", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def _attributes(path: Path) -> str:
    """The flags `lsattr -d` prints for a directory (T: top of directory hierarchies)."""
    return subprocess.run(["lsattr", "-d", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]


@pytest.fixture
def ext_directory(tmp_path):
    filesystem = _filesystem(tmp_path)
    if not filesystem.startswith("ext"):
        pytest.skip(f"{tmp_path} is on {filesystem}, not ext2/3/4")
    return tmp_path


def test_a_directory_on_ext4_is_marked_top_and_stays_so(ext_directory):
    directory = ext_directory / "layers"
    directory.mkdir()
    assert "T" not in _attributes(directory)
    assert mark_top_directory(directory)
    assert mark_top_directory(directory)
    assert "T" in _attributes(directory)


def test_a_filesystem_without_the_flag_is_left_as_it_is():
    shm = Path("/dev/shm")
    if _filesystem(shm) != "tmpfs":
        pytest.skip("no tmpfs at /dev/shm")
    with tempfile.TemporaryDirectory(dir=shm, prefix="porthole-topdir-") as directory:
        assert not mark_top_directory(directory)


def test_the_layer_store_extracts_under_a_top_directory(ext_directory):
    LayerStore(ext_directory, threading.RLock())
    assert "T" in _attributes(ext_directory / "tmp")
