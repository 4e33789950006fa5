"""The json-file driver: Docker-compatible lines in <container>/<id>-json.log, written by the shim."""

from collections.abc import Mapping
from typing import Any, ClassVar

from logdrivers.attrs import extra_attributes
from logdrivers.info import ContainerInfo
from logdrivers.jsonfile.encode import EntryEncoder
from logdrivers.jsonfile.logfile import RotatingLogFile
from logdrivers.jsonfile.options import JsonFileOptions
from logdrivers.message import LineBatch, Message


class JsonFileDriver:
    name: ClassVar[str] = "json-file"

    def __init__(
        self,
        log_path: str,
        attrs: Mapping[str, str],
        max_size: int | None = None,
        max_file: int = 1,
        compress: bool = False,
    ) -> None:
        """Plain values, not a ContainerInfo and options: the shim gets them ready (driver_args, via
        logdrivers.shimwriter)."""
        self._encoder = EntryEncoder(attrs)
        self._file = RotatingLogFile(log_path, max_size, max_file, compress)

    def log(self, msg: Message) -> None:
        self._file.write(self._encoder.encode_message(msg), msg.timestamp_ns)

    def log_batch(self, batch: LineBatch) -> None:
        """One write() for the whole batch, so a follower sees it at once."""
        self._file.write_parts(self._encoder.encode_batch(batch), batch.timestamp_ns)

    def close(self) -> None:
        self._file.close()


def driver_args(info: ContainerInfo, options: JsonFileOptions) -> dict[str, Any]:
    """JsonFileDriver's arguments for a container, as JSON values: the attrs and the tag rendered."""
    attrs = extra_attributes(options.attrs, info)
    if options.tag is not None and (tag := options.tag.render(info)):
        attrs["tag"] = tag  # after labels and env: the tag wins, as in Docker
    return {
        "log_path": str(info.log_path),
        "attrs": attrs,
        "max_size": options.max_size,
        "max_file": options.max_file,
        "compress": options.compress,
    }


def create_json_file(info: ContainerInfo, options: JsonFileOptions) -> JsonFileDriver:
    return JsonFileDriver(**driver_args(info, options))
