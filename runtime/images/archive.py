"""Random access to an uploaded image archive (`docker load` input), spooled to disk first.

The upload is a stream of unknown length whose index (manifest.json, index.json) may come last, so it is
decompressed into one file under `tmp/`, then read through tarfile's member table. Members are looked up by
name only; links inside the archive are resolved by tarfile within the archive, never on the host.
"""

import json
import posixpath
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, BinaryIO

from runtime.errors import InvalidParameter
from runtime.images.compression import CORRUPT_DATA_ERRORS, open_decompressed
from runtime.images.readers import CountingReader

_COPY_CHUNK = 1 << 20
MAX_JSON_BYTES = 64 << 20  # a manifest or config larger than this is not an image document
_MAX_LINK_HOPS = 40


def spool_upload(stream: BinaryIO, spool: Path, progress: Callable[[int], None] | None) -> None:
    """Copy the (possibly compressed) upload into `spool`, uncompressed."""
    counting = CountingReader(stream, progress)
    try:
        with open(spool, "wb") as out:
            shutil.copyfileobj(open_decompressed(counting), out, _COPY_CHUNK)  # type: ignore[arg-type]
    except CORRUPT_DATA_ERRORS as error:
        raise InvalidParameter(f"images: load: the archive's compression is corrupt: {error}") from None
    if counting.total == 0:
        raise InvalidParameter("images: load: archive is empty: expected a tar archive")


class ImageArchive:
    """An opened image archive: members by normalised name."""

    def __init__(self, path: Path) -> None:
        try:
            self._tar = tarfile.open(path, mode="r:")
            self._members = {self._normalise(m.name): m for m in self._tar.getmembers()}
        except tarfile.TarError as error:
            raise InvalidParameter(f"images: load: not a valid tar archive: {error}") from None

    def close(self) -> None:
        self._tar.close()

    @staticmethod
    def _normalise(name: str) -> str:
        return posixpath.normpath(name.lstrip("/")) if name else name

    def has(self, name: str) -> bool:
        return self._normalise(name) in self._members

    def _regular_member(self, name: str) -> tarfile.TarInfo:
        """The regular member `name` leads to; links are followed inside the archive, a bounded number of times."""
        wanted = self._normalise(name)
        for _ in range(_MAX_LINK_HOPS):
            member = self._members.get(wanted)
            if member is None:
                raise InvalidParameter(f"images: load: archive member {name!r}: missing")
            if member.issym():
                wanted = self._normalise(posixpath.join(posixpath.dirname(member.name), member.linkname))
            elif member.islnk():
                wanted = self._normalise(member.linkname)
            elif member.isreg():
                return member
            else:
                raise InvalidParameter(f"images: load: archive member {name!r}: not a regular file")
        raise InvalidParameter(f"images: load: archive member {name!r}: too many levels of links")

    def open(self, name: str) -> IO[bytes]:
        member = self._regular_member(name)
        try:
            handle = self._tar.extractfile(member)
        except tarfile.TarError as error:
            raise InvalidParameter(f"images: load: archive member {name!r}: unreadable: {error}") from None
        if handle is None:
            raise InvalidParameter(f"images: load: archive member {name!r}: not a regular file")
        return handle

    def read_bytes(self, name: str) -> bytes:
        with self.open(name) as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
        if len(data) > MAX_JSON_BYTES:
            raise InvalidParameter(f"images: load: archive member {name!r}: larger than {MAX_JSON_BYTES} bytes")
        return data

    def read_json(self, name: str) -> object:
        try:
            return json.loads(self.read_bytes(name))
        except ValueError as error:
            raise InvalidParameter(f"images: load: archive member {name!r}: not valid JSON: {error}") from None
