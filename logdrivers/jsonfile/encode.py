"""Docker's json-file line, byte for byte: {"log":...,"stream":...,"attrs":{...},"time":...}\\n.

Hand-written (not json.dumps or orjson) because the bytes must match Docker's hand-written marshaller:
`< > &` as \\u003c \\u003e \\u0026, other control bytes as \\u00XX (a tab too), \\n and \\r short, each
invalid UTF-8 byte as \\ufffd, U+2028/U+2029 escaped, everything else raw UTF-8; and because a whole batch
of lines is escaped and framed with a few C-level passes instead of a Python loop per line.
"""

from collections.abc import Mapping

from common.rfc3339 import format_ns
from logdrivers.message import LineBatch, Message

_GO_HEX = "0123456789abcdef"
# Bytes that never need escaping in a batch (newline included: it separates the batch's lines).
_PLAIN_IN_BATCH = bytes(b for b in range(0x20, 0x80) if b not in b'"\\<>&') + b"\n"
_PLAIN_IN_LINE = _PLAIN_IN_BATCH[:-1]
_NON_ASCII = bytes(range(0x80, 0x100))


def _escape_table(short: Mapping[int, str]) -> dict[int, str]:
    table = {c: "\\u00" + _GO_HEX[c >> 4] + _GO_HEX[c & 15] for c in range(0x20)}
    table.update({ord('"'): '\\"', ord("\\"): "\\\\", 0x3C: "\\u003c", 0x3E: "\\u003e", 0x26: "\\u0026"})
    table.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
    # surrogateescape turns each invalid UTF-8 byte into a lone surrogate; Go writes \ufffd per invalid byte.
    table.update(dict.fromkeys(range(0xD800, 0xE000), "\\ufffd"))
    table.update(short)
    return table


_DOCKER_TABLE = _escape_table({ord("\n"): "\\n", ord("\r"): "\\r"})
_BATCH_TABLE = {**_DOCKER_TABLE, ord("\n"): "\n"}
_BYTE_ESCAPES = {c: text.encode() for c, text in _DOCKER_TABLE.items() if c < 0x80}
# Go's encoding/json (attrs are json.Marshal'ed): also \b \f \t short (Go 1.22+), same HTML escaping.
_GO_JSON_TABLE = _escape_table({8: "\\b", 12: "\\f", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_GO_BYTE_ESCAPES = {c: text.encode() for c, text in _GO_JSON_TABLE.items() if c < 0x80}


def _escape(data: bytes, plain: bytes, table: dict[int, str], byte_escapes: dict[int, bytes] = _BYTE_ESCAPES) -> bytes:
    unsafe = data.translate(None, plain)
    if not unsafe:
        return data
    specials = unsafe.translate(None, _NON_ASCII)
    has_non_ascii = len(specials) != len(unsafe)
    if has_non_ascii:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            # Rare: per-character path, so each invalid byte becomes its own \ufffd as in Go.
            return data.decode("utf-8", "surrogateescape").translate(table).encode("utf-8")
    # Valid UTF-8: one C-level replace per distinct special byte, the backslash first.
    present = set(specials)
    if 0x5C in present:
        data = data.replace(b"\\", b"\\\\")
        present.discard(0x5C)
    for byte in present:
        data = data.replace(bytes((byte,)), byte_escapes[byte])
    if has_non_ascii and b"\xe2\x80" in data:
        data = data.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return data


def escape_batch(data: bytes) -> bytes:
    """Escape lines separated by b"\\n", keeping the separators; plain ASCII comes back untouched."""
    return _escape(data, _PLAIN_IN_BATCH, _BATCH_TABLE)


def escape_line(line: bytes) -> bytes:
    """Escape one string's bytes as Docker's ffjsonWriteJSONBytesAsString (without the quotes)."""
    return _escape(line, _PLAIN_IN_LINE, _DOCKER_TABLE)


def go_json_bytes(line: bytes) -> bytes:
    """The JSON string literal (quotes included) Go's json.Marshal writes for string(line)."""
    return b'"' + _escape(line, _PLAIN_IN_LINE, _GO_JSON_TABLE, _GO_BYTE_ESCAPES) + b'"'


def go_json_string(text: str) -> str:
    """A JSON string literal as Go's json.Marshal writes it."""
    return '"' + text.translate(_GO_JSON_TABLE) + '"'


def encode_attrs(attrs: Mapping[str, str]) -> bytes:
    """json.Marshal of a map[string]string: keys sorted, no spaces."""
    body = ",".join(go_json_string(k) + ":" + go_json_string(attrs[k]) for k in sorted(attrs))
    return ("{" + body + "}").encode("utf-8")


class EntryEncoder:
    """Encodes entries for one container: its attrs are marshalled once, as Docker does at create."""

    def __init__(self, attrs: Mapping[str, str]) -> None:
        self._attrs = b'"attrs":' + encode_attrs(attrs) + b"," if attrs else b""
        self._after_log: dict[str, bytes] = {}

    def _stream_and_attrs(self, source: str) -> bytes:
        # Everything between the log value and the time value; computed once per source.
        cached = self._after_log.get(source)
        if cached is None:
            stream = b'"stream":"' + escape_line(source.encode()) + b'",' if source else b""
            cached = self._after_log[source] = stream + self._attrs + b'"time":"'
        return cached

    def encode_batch(self, batch: LineBatch) -> list[bytes | memoryview]:
        """All lines of the batch as json-file lines, in two pieces for one writev(): one replace over the
        escaped batch frames every line, and no further copy joins the pieces."""
        tail = b'\\n",' + self._stream_and_attrs(batch.source) + format_ns(batch.timestamp_ns).encode()
        end_and_head = tail + b'"}\n{"log":"'
        framed = escape_batch(batch.data).replace(b"\n", end_and_head)  # ...line end head line end head
        return [b'{"log":"', memoryview(framed)[: -len(b'{"log":"')]]

    def encode_message(self, msg: Message) -> bytes:
        """One entry; `log` ends in \\n unless the message is a partial piece that is not the last."""
        log = escape_line(msg.line) + (b"\\n" if msg.ends_line else b"")
        head = b'{"log":"' + log + b'",' if log else b"{"
        time_value = format_ns(msg.timestamp_ns).encode()
        return head + self._stream_and_attrs(msg.source) + time_value + b'"}\n'
