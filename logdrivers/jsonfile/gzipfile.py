"""Rotated files compressed as Docker does: gzip whose header Extra field is {"lastTime":"<RFC3339Nano>"}.

Python's gzip module can neither write nor return the FEXTRA field, so the header is written by hand
(RFC 1952) and the body is plain zlib deflate. The lastTime of the file's last entry lets a reader with
--since skip a whole compressed file without inflating it.
"""

import json
import os
import struct
import zlib
from pathlib import Path

from common.rfc3339 import TimeParser, format_ns
from logdrivers.jsonfile.numbering import read_first_line, write_first_line

_MAGIC = b"\x1f\x8b\x08"
_FEXTRA = 4
_OS_UNKNOWN = 255  # what Go's compress/gzip writes
_COPY_SIZE = 1 << 20


def gzip_header(last_time_ns: int | None) -> bytes:
    """magic, CM=deflate, FLG, MTIME=0 (Docker sets none), XFL=0 (default level), OS, then the Extra field.

    Without a known last time (a file left by an earlier run) there is no Extra, so no reader skips it.
    """
    if last_time_ns is None:
        return _MAGIC + struct.pack("<BIBB", 0, 0, 0, _OS_UNKNOWN)
    extra = b'{"lastTime":"' + format_ns(last_time_ns).encode() + b'"}'  # Go's json.Marshal of the struct
    return _MAGIC + struct.pack("<BIBBH", _FEXTRA, 0, 0, _OS_UNKNOWN, len(extra)) + extra


def compress_file(source: str, target: str, last_time_ns: int | None, mode: int = 0o640) -> None:
    """Gzip `source` into `target` (whole, via a temporary name, so readers never see half of it), then
    remove `source`."""
    partial = target + ".tmp"
    deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc = size = 0
    with open(source, "rb") as src, open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as dst:
        os.fchmod(dst.fileno(), mode)
        dst.write(gzip_header(last_time_ns))
        while chunk := src.read(_COPY_SIZE):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            dst.write(deflate.compress(chunk))
        dst.write(deflate.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF))
        first_line = read_first_line(src.fileno())
        if first_line is not None:
            write_first_line(dst.fileno(), first_line)  # the compressed file keeps its place in the numbering
    os.rename(partial, target)
    os.unlink(source)


def read_last_time(path: Path) -> int | None:
    """The lastTime in a gzip file's Extra field, or None when the file carries none."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:3] != _MAGIC or not head[3] & _FEXTRA:
            return None
        (length,) = struct.unpack("<H", head[10:12])
        extra = f.read(length)
    try:
        return TimeParser().parse(json.loads(extra)["lastTime"])
    except (ValueError, KeyError, TypeError):
        return None
