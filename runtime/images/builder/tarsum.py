"""Docker's checksum of one COPY/ADD source path (moby's pkg/tarsum, version 1, as its classic builder uses it):
sha256 over the path's tar header fields, each written as name then value with no separator (mtime left out,
so a touched file still hits the cache), then the extended attributes sorted by key, then the file's bytes.
`file:<sum>` in a step's history is this sum; `dir:` and `multi:` hash lists of them (`hash_list`), so a
porthole build and Docker's write the same `created_by` for the same context."""

import hashlib
import stat
from dataclasses import dataclass

_TYPEFLAGS = {stat.S_IFREG: "0", stat.S_IFLNK: "2", stat.S_IFCHR: "3", stat.S_IFBLK: "4", stat.S_IFDIR: "5"}


@dataclass(frozen=True, slots=True)
class SumHeader:
    """The tar header fields tarsum v1 hashes."""

    name: str  # as in the archive: a directory's ends with "/"
    mode: int  # type bits included, as Docker's archive writes them
    uid: int
    gid: int
    size: int
    typeflag: str
    linkname: str = ""
    uname: str = ""
    gname: str = ""
    devmajor: int = 0
    devminor: int = 0
    xattrs: tuple[tuple[str, str], ...] = ()


def started_sum(header: SumHeader) -> "hashlib._Hash":
    """A sha256 fed with the header; the caller feeds a regular file's bytes after it."""
    fields = [
        ("name", header.name),
        ("mode", str(header.mode)),
        ("uid", str(header.uid)),
        ("gid", str(header.gid)),
        ("size", str(header.size)),
        ("typeflag", header.typeflag),
        ("linkname", header.linkname),
        ("uname", header.uname),
        ("gname", header.gname),
        ("devmajor", str(header.devmajor)),
        ("devminor", str(header.devminor)),
        *sorted(header.xattrs),
    ]
    return hashlib.sha256("".join(key + value for key, value in fields).encode("utf-8", "surrogateescape"))


def hash_list(prefix: str, sums: list[str]) -> str:
    """moby's hashStringSlice: `prefix:` and the sha256 of the sums joined by commas."""
    return f"{prefix}:{hashlib.sha256(','.join(sums).encode()).hexdigest()}"


def typeflag(mode: int) -> str:
    """The tar typeflag Docker's archive writes for a file of this st_mode (a FIFO's is "6")."""
    return _TYPEFLAGS.get(stat.S_IFMT(mode), "6")
