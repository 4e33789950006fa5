"""The local driver, written by the shim: <container>/local-logs/container.log and its rotations (.1, .2.gz...),
rotated and compressed as Docker's LogFile does (the json-file's rotating file, with entries framed in binary)."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from logdrivers.attrs import extra_attributes
from logdrivers.info import ContainerInfo
from logdrivers.jsonfile.logfile import RotatingLogFile
from logdrivers.local.entry import encode_attrs, encode_entry
from logdrivers.local.options import LocalOptions
from logdrivers.message import LineBatch, Message


def local_log_path(info: ContainerInfo) -> Path:
    """Where Docker keeps a container's local log: not LogPath, private to the daemon."""
    return info.log_path.parent / "local-logs" / "container.log"


class LocalDriver:
    name: ClassVar[str] = "local"

    def __init__(self, log_path: str, attrs: Mapping[str, str], max_size: int, max_file: int, compress: bool) -> None:
        """Plain values: the shim gets them ready (local_driver_args, via logdrivers.shimwriter)."""
        os.makedirs(os.path.dirname(log_path), mode=0o700, exist_ok=True)
        self._attrs = encode_attrs(dict(attrs))
        # Docker: max-file 0 keeps as many as 1; max-size 0 rotates before every entry.
        self._file = RotatingLogFile(log_path, max_size, max(max_file, 1), compress, numbered=False)

    def log(self, msg: Message) -> None:
        self._file.write_entries((encode_entry(msg, self._attrs),), msg.timestamp_ns)

    def log_batch(self, batch: LineBatch) -> None:
        attrs = self._attrs
        self._file.write_entries([encode_entry(msg, attrs) for msg in batch.messages()], batch.timestamp_ns)

    def close(self) -> None:
        self._file.close()


def local_driver_args(info: ContainerInfo, options: LocalOptions) -> dict[str, Any]:
    attrs = extra_attributes(options.attrs, info)
    if options.tag is not None and (tag := options.tag.render(info)):
        attrs["tag"] = tag
    return {
        "log_path": str(local_log_path(info)),
        "attrs": attrs,
        "max_size": options.max_size,
        "max_file": options.max_file,
        "compress": options.compress,
    }


def create_local(info: ContainerInfo, options: LocalOptions) -> LocalDriver:
    return LocalDriver(**local_driver_args(info, options))
