"""Content-addressed extracted layers: `layers/sha256/<hex>/` holds `diff/` (the tree), `layer.json` and
the tar-split files that rebuild the original tar.

A layer is extracted into a private directory under `tmp/` (slow, outside any lock), then committed by one
rename to its content address under the store's lock. `tmp/` is marked a top directory (runtime.linux.topdir
says why), so that a new layer's files are not created among those of a layer removed just before. If another
import committed the same layer first, the private copy is dropped. In-flight operations pin the layers they
committed until their image is recorded, so a concurrent `rmi` never collects them.
"""

import errno
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from runtime.errors import InvalidParameter
from runtime.images.layers import TREE_DIR, ExtractedLayer, extract_layer
from runtime.images.readers import Readable
from runtime.images.tarsplit import ReassembledTar, TarSplitRecorder, reassembled_size
from runtime.linux.topdir import mark_top_directory

TreeTarSource = Callable[[BinaryIO, Callable[[int, int, str], None]], None]

LAYER_META = "layer.json"


def remove_tree(path: Path) -> None:
    """Remove a private temp tree; one already gone is fine (it was never committed)."""
    shutil.rmtree(path, ignore_errors=False, onerror=_ignore_missing)


def _ignore_missing(_function, path, exc_info) -> None:
    if not isinstance(exc_info[1], FileNotFoundError):
        raise exc_info[1]


class LayerStore:
    def __init__(self, data_root: Path, lock: threading.RLock) -> None:
        self._root = data_root / "layers" / "sha256"
        self._tmp = data_root / "tmp"
        self._lock = lock
        self._pins: Counter[str] = Counter()
        self._root.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        mark_top_directory(self._tmp)

    def directory(self, diff_id: str) -> Path:
        return self._root / diff_id.removeprefix("sha256:")

    def tree(self, diff_id: str) -> Path:
        return self.directory(diff_id) / TREE_DIR

    @staticmethod
    def diff_id_of(tree: Path) -> str:
        """The layer whose tree() this is."""
        return f"sha256:{tree.parent.name}"

    def exists(self, diff_id: str) -> bool:
        return (self.directory(diff_id) / LAYER_META).is_file()

    def size(self, diff_id: str) -> int:
        return int(json.loads((self.directory(diff_id) / LAYER_META).read_text())["size"])

    def tar_size(self, diff_id: str) -> int:
        return reassembled_size(self.directory(diff_id))

    def open_tar(self, diff_id: str) -> Readable:
        return ReassembledTar(self.directory(diff_id), self.tree(diff_id))

    def all_diff_ids(self) -> list[str]:
        return [f"sha256:{entry.name}" for entry in self._root.iterdir()]

    def add(self, stream: Readable, what: str, expected_diff_id: str | None = None) -> ExtractedLayer:
        """Extract, verify and commit a layer; it stays pinned until `unpin`."""
        private = Path(tempfile.mkdtemp(prefix="layer-", dir=self._tmp))
        try:
            extracted = extract_layer(stream, private, what)
            if expected_diff_id is not None and extracted.diff_id != expected_diff_id:
                raise InvalidParameter(
                    f"images: {what}: content digest {extracted.diff_id} does not match the diff_id "
                    f"{expected_diff_id} the image config names"
                )
            meta = {"diff_id": extracted.diff_id, "size": extracted.size}
            (private / LAYER_META).write_text(json.dumps(meta))
            self._commit(private, extracted.diff_id)
        finally:
            remove_tree(private)
        return extracted

    def adopt(self, tree: Path, what: str, write_tar: TreeTarSource) -> ExtractedLayer:
        """Make the directory `tree` (an overlay upper directory a step filled) a layer by moving it into the
        store rather than copying it: `write_tar(out, on_payload)` writes the layer's tar once, which gives the
        diff_id and the tar-split data, then one rename. Saves writing every file again and deleting the original
        (on this kind of disk, unlinking thousands of small files costs more than writing them).
        On error `tree` is where it was, unless it had moved already (then it goes with the private copy)."""
        private = Path(tempfile.mkdtemp(prefix="layer-", dir=self._tmp))
        try:
            recorder = TarSplitRecorder(private)
            sink = _RecordingSink(recorder)

            def payload(offset: int, size: int, path: str) -> None:
                sink.payload_bytes += size
                recorder.member(offset, size, path)

            try:
                write_tar(sink, payload)
            except BaseException:
                recorder.abort()
                raise
            recorder.finish()
            os.rename(tree, private / TREE_DIR)
            extracted = ExtractedLayer(f"sha256:{sink.hash.hexdigest()}", sink.payload_bytes)
            (private / LAYER_META).write_text(json.dumps({"diff_id": extracted.diff_id, "size": extracted.size}))
            self._commit(private, extracted.diff_id)
        finally:
            remove_tree(private)
        return extracted

    def pin_existing(self, diff_id: str) -> bool:
        """Pin a layer that is already stored, so a load can skip its blob; False if it is absent."""
        with self._lock:
            if not self.exists(diff_id):
                return False
            self._pins[diff_id] += 1
            return True

    def unpin(self, diff_ids: list[str]) -> None:
        with self._lock:
            self._pins.subtract(diff_ids)
            self._pins += Counter()  # drops zero counts

    def is_pinned(self, diff_id: str) -> bool:
        return self._pins[diff_id] > 0

    def detach(self, diff_id: str) -> Path | None:
        """Move a layer out of the store (caller holds the lock); returns the path to delete outside it."""
        source = self.directory(diff_id)
        if not source.exists():
            return None
        trash = Path(tempfile.mkdtemp(prefix="deleted-", dir=self._tmp))
        os.rename(source, trash / "layer")
        return trash

    def clear_tmp(self) -> None:
        """At start-up nothing is in flight, so anything under tmp/ is a leftover of a crash."""
        for entry in self._tmp.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                remove_tree(entry)
            else:
                entry.unlink()

    def _commit(self, private: Path, diff_id: str) -> None:
        with self._lock:
            self._pins[diff_id] += 1
            try:
                os.rename(private, self.directory(diff_id))
            except OSError as error:
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    self._pins[diff_id] -= 1
                    raise


class _RecordingSink:
    """Where an adopted layer's tar is written: hashed (the diff_id) and handed to the tar-split recorder."""

    def __init__(self, recorder: TarSplitRecorder) -> None:
        self.hash = hashlib.sha256()
        self._recorder = recorder
        self.payload_bytes = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self._recorder.observe(data)
        return len(data)
