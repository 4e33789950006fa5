"""Pass-through readers that count or hash the bytes read through them."""

import hashlib
from collections.abc import Callable
from typing import Protocol


class Readable(Protocol):
    """Anything with a blocking `read`: uploads, decompressors, archive members, rebuilt tars."""

    def read(self, size: int = -1, /) -> bytes: ...


class CountingReader:
    """Reports the running total of bytes read to `progress` as data arrives."""

    def __init__(self, stream: Readable, progress: Callable[[int], None] | None) -> None:
        self._stream = stream
        self._progress = progress
        self.total = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self.total += len(data)
            if self._progress is not None:
                self._progress(self.total)
        return data


class HashingReader:
    """Hashes (sha256) everything read through it; `drain()` reads to the end so the digest covers it all."""

    def __init__(self, stream: Readable, observe: Callable[[bytes], None] | None = None) -> None:
        self._stream = stream
        self._observe = observe
        self._hash = hashlib.sha256()
        self.total = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self._hash.update(data)
            self.total += len(data)
            if self._observe is not None:
                self._observe(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            continue

    @property
    def digest(self) -> str:
        return f"sha256:{self._hash.hexdigest()}"
