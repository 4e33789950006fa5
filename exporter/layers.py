"""Disk usage of containers' writable layers (container_fs_usage_bytes and friends), measured in a thread of
its own so that no scrape ever waits for a directory walk.

cAdvisor walks Docker's overlay2 upper dir with `du` once a minute and backs off when that is slow
(lib/container/common/fsHandler.go): walking a big layer takes seconds. We walk each directory at most every
`interval` seconds as well, and the scrape reads the last result.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from exporter.readers.devices import DeviceNames
from exporter.readers.samples import ReadError

log = logging.getLogger("porthole.exporter")

# How often the thread looks for a directory that is due; measurements themselves are `interval` apart.
_TICK_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class FilesystemUsage:
    device: str  # the filesystem holding the directory, "/dev/vda1"
    usage_bytes: int  # allocated blocks below the directory, hard links counted once (as du)
    limit_bytes: int  # the filesystem's capacity
    inodes_total: int
    inodes_free: int


def directory_usage(directory: str, errors: list[ReadError]) -> int:
    """Bytes allocated to everything below `directory`, as `du -s` counts them. Entries that vanish while
    walking are skipped (a container writes while we count); other failures are added to `errors`."""
    seen: set[tuple[int, int]] = set()
    total = 0
    pending = [directory]
    while pending:
        current = pending.pop()
        try:
            entries = os.scandir(current)
        except FileNotFoundError:
            continue
        except OSError as e:
            errors.append(ReadError(Path(current), e.strerror or str(e)))
            continue
        with entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if info.st_nlink > 1:
                    inode = (info.st_dev, info.st_ino)
                    if inode in seen:
                        continue
                    seen.add(inode)
                total += info.st_blocks * 512
                if stat.S_ISDIR(info.st_mode):
                    pending.append(entry.path)
    try:
        total += os.lstat(directory).st_blocks * 512
    except OSError as e:
        errors.append(ReadError(Path(directory), e.strerror or str(e)))
    return total


def filesystem_usage(
    directory: str, devices: DeviceNames, errors: list[ReadError], *, walk: bool
) -> FilesystemUsage | None:
    """The usage of `directory` (walked when `walk`, else the whole filesystem's used space) and the
    capacity of the filesystem holding it."""
    try:
        info = os.stat(directory)
        fs = os.statvfs(directory)
    except OSError as e:
        errors.append(ReadError(Path(directory), e.strerror or str(e)))
        return None
    used = directory_usage(directory, errors) if walk else (fs.f_blocks - fs.f_bfree) * fs.f_frsize
    return FilesystemUsage(
        device=devices.name(os.major(info.st_dev), os.minor(info.st_dev)),
        usage_bytes=used,
        limit_bytes=fs.f_blocks * fs.f_frsize,
        inodes_total=fs.f_files,
        inodes_free=fs.f_ffree,
    )


class LayerUsage:
    """The latest usage of each directory it is told to watch, kept fresh by a background thread.

    `directories()` is asked on every pass: a directory that is no longer listed is forgotten, a new one is
    measured on the next pass. "/" stands for the host's root filesystem (its used space, not a walk).
    """

    def __init__(
        self,
        directories: Callable[[], Iterable[str]],
        devices: DeviceNames,
        interval: float,
        on_errors: Callable[[list[ReadError]], None],
    ) -> None:
        self._directories = directories
        self._devices = devices
        self._interval = interval
        self._on_errors = on_errors
        self._usage: dict[str, FilesystemUsage] = {}
        self._measured_at: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def usage(self, directory: str) -> FilesystemUsage | None:
        return self._usage.get(directory)

    def measure_due(self) -> None:
        """One pass: measure every directory whose last measurement is `interval` old."""
        wanted = set(self._directories())
        now = time.monotonic()
        for directory in wanted:
            if now - self._measured_at.get(directory, float("-inf")) < self._interval:
                continue
            errors: list[ReadError] = []
            found = filesystem_usage(directory, self._devices, errors, walk=directory != "/")
            self._measured_at[directory] = time.monotonic()
            if found is not None:
                self._usage[directory] = found
            if errors:
                self._on_errors(errors)
        for gone in self._measured_at.keys() - wanted:
            del self._measured_at[gone]
            self._usage.pop(gone, None)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="exporter-layers", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(_TICK_SECONDS):
            try:
                self.measure_due()
            except Exception:  # noqa: BLE001 - a bug here must not end the measurements for good
                log.exception("exporter: measuring writable layers failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
