"""The physical floor of a pull: every gzip file under a directory (a registry's blobs) read once, gunzipped
(ISA-L), both streams sha256'd, each tar member written as a file with os.open/os.write (no chown, mode or mtime),
not synced (neither porthole nor dockerd syncs an extracted layer). No HTTP, no tar checks, no metadata: what no
puller can go under on this disk and CPU. Each blob's files go in a directory of their own under a top directory,
as porthole's layers do, so that they are not created among inodes freed in the last minute (bench_pull.py and
runtime/linux/topdir.py say why that costs)."""

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

from isal import isal_zlib

from runtime.linux.topdir import mark_top_directory

CHUNK = 1 << 20
BLOCK = 512


def _create(path: Path) -> int:
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except FileNotFoundError:  # a layer may omit the entries of its parent directories
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


class _TarFiles:
    """A minimal tar writer of regular files and directories fed uncompressed bytes in any slicing."""

    def __init__(self, out: Path) -> None:
        self._out = out
        self._buffer = bytearray()
        self._fd = -1
        self._left = 0  # payload bytes still to write to _fd
        self._skip = 0  # padding to drop

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if self._left:
                piece = self._buffer[: self._left]
                os.write(self._fd, piece)
                del self._buffer[: len(piece)]
                self._left -= len(piece)
                if self._left:
                    return
                os.close(self._fd)
            if self._skip:
                dropped = min(self._skip, len(self._buffer))
                del self._buffer[:dropped]
                self._skip -= dropped
                if self._skip:
                    return
            if len(self._buffer) < BLOCK:
                return
            header = bytes(self._buffer[:BLOCK])
            del self._buffer[:BLOCK]
            if header.count(0) == BLOCK:
                continue
            name = header[:100].rstrip(b"\0").decode()
            prefix = header[345:500].rstrip(b"\0").decode()
            size = int(header[124:136].rstrip(b"\0 ") or b"0", 8)
            path = self._out / (f"{prefix}/{name}" if prefix else name)
            if header[156:157] == b"5":
                path.mkdir(parents=True, exist_ok=True)
            elif header[156:157] in (b"0", b"\0"):
                self._fd = _create(path)
                self._left = size
                if not size:
                    os.close(self._fd)
            self._skip = -size % BLOCK
            if header[156:157] not in (b"0", b"\0"):
                self._skip += size


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def floor_seconds(registry_root: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of the floor."""
    blobs = [p for p in registry_root.rglob("*") if p.is_file() and _is_gzip(p)]
    out.mkdir()
    mark_top_directory(out)
    started, cpu = time.monotonic(), _cpu()
    for index, blob in enumerate(blobs):
        compressed, uncompressed = hashlib.sha256(), hashlib.sha256()
        inflate = isal_zlib.decompressobj(31)
        files = _TarFiles(out / str(index))
        with open(blob, "rb") as source:
            while chunk := source.read(CHUNK):
                compressed.update(chunk)
                data = inflate.decompress(chunk)
                uncompressed.update(data)
                files.feed(data)
    elapsed = time.monotonic() - started, _cpu() - cpu
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


if __name__ == "__main__":
    wall, cpu = floor_seconds(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{wall:.2f} s (cpu {cpu:.2f} s)")
