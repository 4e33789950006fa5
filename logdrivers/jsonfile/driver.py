"""The json-file driver: Docker-compatible lines in <container>/<id>-json.log, written by the shim."""

from typing import ClassVar

from logdrivers.attrs import extra_attributes
from logdrivers.info import ContainerInfo
from logdrivers.jsonfile.encode import EntryEncoder
from logdrivers.jsonfile.logfile import RotatingLogFile
from logdrivers.jsonfile.options import JsonFileOptions
from logdrivers.message import LineBatch, Message


class JsonFileDriver:
    name: ClassVar[str] = "json-file"

    def __init__(self, info: ContainerInfo, options: JsonFileOptions) -> None:
        attrs = extra_attributes(options.attrs, info)
        if options.tag is not None and (tag := options.tag.render(info)):
            attrs["tag"] = tag  # after labels and env: the tag wins, as in Docker
        self._encoder = EntryEncoder(attrs)
        self._file = RotatingLogFile(info.log_path, options.max_size, options.max_file, options.compress)

    def log(self, msg: Message) -> None:
        self._file.write(self._encoder.encode_message(msg), msg.timestamp_ns)

    def log_batch(self, batch: LineBatch) -> None:
        """One write() for the whole batch, so a follower sees it at once."""
        self._file.write_parts(self._encoder.encode_batch(batch), batch.timestamp_ns)

    def close(self) -> None:
        self._file.close()
