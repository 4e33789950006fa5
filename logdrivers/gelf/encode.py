"""GELF 1.1 messages as Docker's gelf driver (go-gelf's Message.MarshalJSONBuf) writes them.

Key order: version, host, short_message, timestamp, level, then the extra fields json.Marshal'ed once at
create (so sorted): _command, _container_id, _container_name, _created, _image_id, _image_name, _tag, and the
label/env attributes, prefixed with "_" unless they start with it. timestamp is seconds with millisecond
precision (Go's float64 formatting: shortest form, no ".0"); level is 6 for stdout and 3 for stderr. Strings
are escaped as Go's json.Marshal does (HTML characters, invalid UTF-8 as U+FFFD per byte).
"""

from logdrivers.attrs import extra_attributes
from logdrivers.gelf.options import GelfOptions
from logdrivers.info import ContainerInfo
from logdrivers.jsonfile.encode import encode_attrs, go_json_bytes
from logdrivers.message import Message

LEVEL_INFO, LEVEL_ERR = 6, 3


def extra_fields(info: ContainerInfo, options: GelfOptions) -> dict[str, str]:
    extra = {
        "_container_id": info.id,
        "_container_name": info.bare_name,
        "_image_id": info.image_id,
        "_image_name": info.image_name,
        "_command": info.command,
        "_tag": options.tag.render(info),
        "_created": info.created,
    }
    for key, value in extra_attributes(options.attrs, info).items():
        extra[key if key.startswith("_") else "_" + key] = value
    return extra


def go_float(seconds: float) -> bytes:
    """strconv.FormatFloat(f, 'f' or 'e', -1, 64) as encoding/json picks it, for timestamps."""
    text = repr(seconds)
    return (text[:-2] if text.endswith(".0") else text).encode()


class GelfEncoder:
    def __init__(self, info: ContainerInfo, options: GelfOptions, hostname: str) -> None:
        self._head = b'{"version":"1.1","host":' + go_json_bytes(hostname.encode()) + b',"short_message":'
        extra = encode_attrs(extra_fields(info, options))[1:-1]
        self._tails = {
            source: b',"level":' + str(level).encode() + b"," + extra + b"}"
            for source, level in (("stdout", LEVEL_INFO), ("stderr", LEVEL_ERR))
        }

    def encode(self, msg: Message) -> bytes | None:
        """The message's JSON, or None for an empty line: Graylog rejects an empty short_message, so Docker
        sends none (docker/for-linux#354). Pieces of a cut line go out as separate messages, as in Docker."""
        if not msg.line:
            return None
        timestamp = go_float(msg.timestamp_ns // 1_000_000 / 1000.0)
        tail = self._tails.get(msg.source) or self._tails["stdout"]
        return b"".join((self._head, go_json_bytes(msg.line), b',"timestamp":', timestamp, tail))
