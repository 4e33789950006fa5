"""Every message from the one long-lived compressor inflates on its own, with the standard library's readers."""

import gzip
import os
import random
import zlib

import pytest

from logdrivers.gelf.compress import MessageCompressor


@pytest.mark.parametrize("kind", ["gzip", "zlib"])
@pytest.mark.parametrize("level", [-1, 0, 1, 5, 9])
def test_each_message_is_a_complete_stream_of_its_own(kind, level):
    inflate = gzip.decompress if kind == "gzip" else zlib.decompress
    compressor = MessageCompressor(kind, level)
    rnd = random.Random(level)
    messages = [b"", b"x", b"same line " * 50, b"same line " * 50, os.urandom(9000)]
    messages += [bytes(rnd.choice(b"abc {}\n") for _ in range(rnd.randrange(1, 20000))) for _ in range(20)]
    compressed = [compressor.compress(m) for m in messages]
    assert [inflate(c) for c in reversed(compressed)] == list(reversed(messages))  # no message needs another


def test_headers_are_the_magic_receivers_look_for():
    assert MessageCompressor("gzip", 1).compress(b"x")[:3] == b"\x1f\x8b\x08"
    for level in (-1, 0, 1, 6, 9):
        header = MessageCompressor("zlib", level).compress(b"x")[:2]
        assert header[0] == 0x78 and int.from_bytes(header, "big") % 31 == 0


@pytest.mark.parametrize("kind", ["gzip", "zlib"])
@pytest.mark.parametrize("level", [-1, 1, 2, 9])
def test_every_level_but_0_shrinks_a_repetitive_message(kind, level):
    message = b'{"short_message":"GET /api/v1/items 200","_container_id":"' + b"ab" * 32 + b'"}'
    message *= 8
    assert len(MessageCompressor(kind, level).compress(message)) < len(message) / 2
    assert len(MessageCompressor(kind, 0).compress(message)) > len(message)  # stored, as Go's NoCompression
