"""A directory adopted as a layer: moved into the store, its diff_id the sha256 of the tar written once, and
that tar rebuilt byte for byte from the tree (tar-split), as an extracted layer's is."""

import hashlib
import io
import os
import threading

import pytest

from runtime.images.layerstore import LayerStore
from runtime.images.upperdiff import MOUNT_PLACEHOLDERS, prepare_for_adoption, write_upper_tar


def _tree(root):
    (root / "app" / "sub").mkdir(parents=True)
    (root / "app" / "big.bin").write_bytes(os.urandom(3 << 20))
    (root / "app" / "sub" / "small.txt").write_text("small\n")
    (root / "app" / "empty").write_bytes(b"")
    os.symlink("big.bin", root / "app" / "link")
    os.link(root / "app" / "big.bin", root / "app" / "hard")
    (root / "proc").mkdir()  # a placeholder the runtime made: not part of the layer
    (root / "etc").mkdir()
    (root / "etc" / "hosts").write_bytes(b"")


def test_adopted_tree_gives_the_tar_it_was_hashed_from(tmp_path):
    upper = tmp_path / "upper"
    upper.mkdir()
    _tree(upper)
    prepare_for_adoption(str(upper), MOUNT_PLACEHOLDERS)
    expected = io.BytesIO()
    write_upper_tar(str(upper), expected)
    store = LayerStore(tmp_path / "data", threading.RLock())
    layer = store.adopt(upper, "test", lambda out, on_payload: write_upper_tar(str(upper), out, on_payload=on_payload))
    assert not upper.exists()  # moved, not copied
    assert layer.diff_id == "sha256:" + hashlib.sha256(expected.getvalue()).hexdigest()
    assert layer.size == (3 << 20) + len("small\n")
    assert store.open_tar(layer.diff_id).read() == expected.getvalue()
    assert store.tar_size(layer.diff_id) == len(expected.getvalue())
    tree = store.tree(layer.diff_id)
    assert (tree / "app" / "sub" / "small.txt").read_text() == "small\n"
    assert not (tree / "proc").exists() and not (tree / "etc" / "hosts").exists() and (tree / "etc").is_dir()


def test_a_failed_write_leaves_the_tree_where_it_was(tmp_path):
    upper = tmp_path / "upper"
    upper.mkdir()
    (upper / "f").write_text("f")
    store = LayerStore(tmp_path / "data", threading.RLock())

    def failing(out, on_payload):
        raise OSError(5, "disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        store.adopt(upper, "test", failing)
    assert (upper / "f").read_text() == "f"
    assert os.listdir(tmp_path / "data" / "tmp") == []
