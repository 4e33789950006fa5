"""Reading and parsing the small text files of cgroupfs and /proc, collecting errors instead of raising.

Each file is read once with a bare os.open/os.read (the exporter reads thousands per scrape) and parsed
with str.split/partition. A file the kernel may legitimately lack (by version or boot option) is read
with `optional=True`: its absence yields None and no error; any other failure is recorded as a
ReadError naming the path and the cause, and the caller keeps what it has.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from exporter.readers.samples import ReadError

# Absent by design: the file does not exist on this kernel, or PSI is compiled in but disabled (psi=0).
_ABSENT = (errno.ENOENT, errno.EOPNOTSUPP)
_CHUNK = 65536

# cgroup v1 reports "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages);
# cAdvisor treats everything above 2^62 as unlimited, and so do we.
UNLIMITED_ABOVE = 1 << 62


class FileReader:
    """Reads files and accumulates the errors of one sample.

    With `reuse_dirs`, each file is opened relative to its directory, which is opened once per sample
    (openat): the kernel then resolves one name instead of the whole /sys/fs/cgroup/<ctrl>/<parent>/<id>
    path, which is about a third of the cost of reading a group. Such a reader must be closed.
    """

    __slots__ = ("errors", "_dirs")

    def __init__(self, *, reuse_dirs: bool = False) -> None:
        self.errors: list[ReadError] = []
        self._dirs: dict[str, int] | None = {} if reuse_dirs else None

    def close(self) -> None:
        if self._dirs:
            for fd in self._dirs.values():
                os.close(fd)
            self._dirs.clear()

    def fail(self, path: str, cause: str) -> None:
        self.errors.append(ReadError(Path(path), cause))

    def _open(self, path: str) -> int:
        if self._dirs is None:
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        directory, _, name = path.rpartition("/")
        dir_fd = self._dirs.get(directory)
        if dir_fd is None:
            dir_fd = self._dirs[directory] = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return os.open(name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)

    def text(self, path: str, *, optional: bool = False) -> str | None:
        try:
            fd = self._open(path)
        except OSError as e:
            if not (optional and e.errno in _ABSENT):
                self.fail(path, e.strerror or str(e))
            return None
        try:
            data = os.read(fd, _CHUNK)
            if len(data) == _CHUNK:  # seq files hand out at most a page or so per read; finish the file
                parts = [data]
                while chunk := os.read(fd, _CHUNK):
                    parts.append(chunk)
                data = b"".join(parts)
        except OSError as e:
            if not (optional and e.errno in _ABSENT):
                self.fail(path, e.strerror or str(e))
            return None
        finally:
            os.close(fd)
        return data.decode("latin-1")

    def integer(self, path: str, *, optional: bool = False) -> int | None:
        """A file holding one integer."""
        text = self.text(path, optional=optional)
        if text is None:
            return None
        return self.parse_int(path, text.strip())

    def limit(self, path: str, *, optional: bool = False) -> int | None:
        """A file holding a limit: an integer, or "max"/-1/a value above 2^62 meaning unlimited (None)."""
        text = self.text(path, optional=optional)
        if text is None:
            return None
        return self.parse_limit(path, text.strip())

    def parse_int(self, path: str, token: str) -> int | None:
        try:
            return int(token)
        except ValueError:
            self.fail(path, f"invalid value {token!r}: expected an integer")
            return None

    def parse_limit(self, path: str, token: str) -> int | None:
        if token == "max":
            return None
        value = self.parse_int(path, token)
        if value is None or value < 0 or value > UNLIMITED_ABOVE:
            return None
        return value

    def keyed(self, path: str, *, optional: bool = False) -> dict[str, int] | None:
        """A flat-keyed file of "key value" lines (memory.stat, cpu.stat, memory.events ...).

        A garbage line is reported and skipped; the other keys are kept.
        """
        text = self.text(path, optional=optional)
        if text is None:
            return None
        out: dict[str, int] = {}
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            try:
                out[key] = int(value)
            except ValueError:
                self.fail(path, f"invalid line {line!r}: expected 'key integer'")
        return out
