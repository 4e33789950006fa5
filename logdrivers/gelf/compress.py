"""One gzip or zlib stream per GELF message.

GELF wants every message compressed on its own, so what a compressor pays per stream (setting up and clearing
its tables) weighs more than the bytes of a short message. Two engines, by level:

Level 1, Go's flate.BestSpeed and Docker's default, is ISA-L's fastest deflate (python-isal, Intel's library
built for throughput): 1.4 us for a 480-byte GELF message, where zlib-ng's level 1 takes 3.9 us and zlib's
8.9 us. The price is bytes: ISA-L's fastest level codes with one stock Huffman table whose description alone
is about 100 bytes, so that message becomes 400 bytes (zlib-ng 307, zlib 264; a 2.4 KB stack trace 446 against
363 and 309). Over a link where datagram size matters, level 2 or more gives zlib's sizes.

The other levels keep zlib's meaning with one long-lived zlib-ng deflate state: creating one per message
costs more than compressing it (its window and hash tables are allocated and cleared), so a full flush ends
each message's data on a byte boundary with the history forgotten (RFC 1951 streams can start there), an
empty final block closes it, and the gzip (RFC 1952) or zlib (RFC 1950) header and trailer are written
around it by hand. Any inflater reads each message alone, as the tests check.
"""

import struct

from isal import isal_zlib
from zlib_ng import zlib_ng

BEST_SPEED = 1
WINDOW_BITS = 12  # 4 KiB: log lines rarely repeat from further back; keeps the state small per container
MEM_LEVEL = 4  # measured fastest here for short messages (8, the default, is 1.5x slower)
_FINAL_EMPTY_BLOCK = b"\x03\x00"  # BFINAL=1, fixed Huffman, end-of-block
_GZIP_OS_UNKNOWN = 255  # what Go's compress/gzip writes
_GZIP_WBITS, _ZLIB_WBITS = 31, 15  # the container formats as zlib's wbits name them


def _gzip_header(level: int) -> bytes:
    extra_flags = 2 if level == 9 else 0  # RFC 1952 XFL: maximum compression (level 1 is ISA-L's, with its own)
    return b"\x1f\x8b\x08\x00" + struct.pack("<IBB", 0, extra_flags, _GZIP_OS_UNKNOWN)


def _zlib_header(level: int) -> bytes:
    flevel = 0 if level == 0 else 1 if 2 <= level <= 5 else 2 if level in (6, -1) else 3
    cmf, flg = 0x78, flevel << 6  # deflate, 32 KiB declared (receivers recognise zlib by 0x78): ours is smaller
    flg |= 31 - (cmf * 256 + flg) % 31 if (cmf * 256 + flg) % 31 else 0  # FCHECK
    return bytes((cmf, flg))


class MessageCompressor:
    def __init__(self, kind: str, level: int) -> None:
        """`kind` is gzip or zlib; `level` -1..9 as gelf-compression-level."""
        self._gzip = kind == "gzip"
        self._fastest = level == BEST_SPEED
        if not self._fastest:
            self._deflate = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -WINDOW_BITS, MEM_LEVEL)
            self._header = _gzip_header(level) if self._gzip else _zlib_header(level)

    def compress(self, data: bytes) -> bytes:
        if self._fastest:
            return isal_zlib.compress(data, isal_zlib.ISAL_BEST_SPEED, _GZIP_WBITS if self._gzip else _ZLIB_WBITS)
        body = self._deflate.compress(data) + self._deflate.flush(zlib_ng.Z_FULL_FLUSH)
        if self._gzip:
            trailer = struct.pack("<II", zlib_ng.crc32(data), len(data) & 0xFFFFFFFF)
        else:
            trailer = struct.pack(">I", zlib_ng.adler32(data))
        return b"".join((self._header, body, _FINAL_EMPTY_BLOCK, trailer))
