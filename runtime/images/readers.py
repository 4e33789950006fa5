"""Pass-through readers that count or hash the bytes read through them."""

import hashlib
import queue
import threading
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


class ReadAhead:
    """Reads `stream` in a thread of its own, a few chunks ahead of its reader.

    Why: a layer's extraction is a chain of work that releases the GIL at both ends: downloading and
    decompressing (sockets, ISA-L) and creating files (the kernel). Read ahead, the next bytes arrive while the
    reader's thread creates the files of the last ones, so one layer uses both cores instead of one.
    An error of `stream` reaches the reader where its bytes would have. Memory stays bounded (DEPTH chunks).
    `close()` stops the thread, waiting out the read it may be in (bounded: a stalled source is its owner's to
    close), so that the owner is alone with `stream` again."""

    CHUNK = 256 << 10
    DEPTH = 8
    CLOSE_TIMEOUT = 5.0

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._chunks: queue.Queue[bytes | BaseException] = queue.Queue(self.DEPTH)
        self._stopping = threading.Event()
        self._current = memoryview(b"")
        self._failure: BaseException | None = None
        self._ended = False
        self._thread = threading.Thread(target=self._fill, name="read-ahead", daemon=True)
        self._thread.start()

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return b"".join(iter(lambda: self.read(self.CHUNK), b""))
        if not self._current and not self._next_chunk():
            return b""
        data, self._current = self._current[:size], self._current[size:]
        return bytes(data)

    def close(self) -> None:
        self._stopping.set()
        while not self._chunks.empty():  # a put waiting for room sees the stop at once
            self._chunks.get_nowait()
        self._thread.join(timeout=self.CLOSE_TIMEOUT)

    def _next_chunk(self) -> bool:
        if self._failure is not None:
            raise self._failure
        if self._ended:
            return False
        item = self._chunks.get()
        if isinstance(item, BaseException):
            self._failure = item
            raise item
        self._current = memoryview(item)
        self._ended = not item
        return not self._ended

    def _fill(self) -> None:
        try:
            while not self._stopping.is_set():
                data = self._stream.read(self.CHUNK)
                self._put(data)
                if not data:
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the reader, who raises it
            self._put(error)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stopping.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
