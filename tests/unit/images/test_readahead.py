"""ReadAhead: the same bytes in the same order, the source's error where its bytes would have been, bounded."""

import io

import pytest

from runtime.images.readers import ReadAhead
from tests.support.waiting import wait_for


class _Failing:
    def __init__(self, good: bytes) -> None:
        self._good = io.BytesIO(good)

    def read(self, size: int = -1) -> bytes:
        data = self._good.read(size)
        if not data:
            raise ValueError("corrupt stream")
        return data


class _Counting(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


@pytest.mark.parametrize("size", [1, 1000, ReadAhead.CHUNK, ReadAhead.CHUNK + 7, -1])
def test_the_reader_gets_every_byte_in_order(size):
    data = bytes(range(256)) * 5000
    ahead = ReadAhead(io.BytesIO(data))
    got = b"".join(iter(lambda: ahead.read(size), b""))
    assert got == data and ahead.read(10) == b""


def test_the_sources_error_reaches_the_reader_after_the_good_bytes_and_stays():
    ahead = ReadAhead(_Failing(b"x" * 10))
    assert ahead.read(100) == b"x" * 10
    for _ in range(2):
        with pytest.raises(ValueError, match="corrupt stream"):
            ahead.read(100)


def test_it_reads_at_most_a_few_chunks_ahead_and_close_stops_it():
    source = _Counting(b"y" * ReadAhead.CHUNK * (ReadAhead.DEPTH * 4))
    ahead = ReadAhead(source)
    assert ahead.read(1) == b"y"
    wait_for(ahead._chunks.full, 5, what="the read-ahead queue to fill")
    assert source.reads <= ReadAhead.DEPTH + 2  # the queue's chunks, the one being read, the one waiting for room
    ahead.close()
    assert not ahead._thread.is_alive()
