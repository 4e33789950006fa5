import json

import pytest

from logdrivers.jsonfile.encode import EntryEncoder, encode_attrs, escape_batch, escape_line
from logdrivers.message import LineBatch, Message, PartialMeta

T = 1795829461301226849  # 2026-11-28T01:31:01.301226849Z
T_TEXT = b"2026-11-28T01:31:01.301226849Z"


def test_docker_line_for_seq_output():
    # The line Docker wrote for `seq` on this project's machine (measured-anchors.md).
    line = EntryEncoder({}).encode_message(Message(b"1", "stdout", T))
    assert line == b'{"log":"1\\n","stream":"stdout","time":"2026-11-28T01:31:01.301226849Z"}\n'


# Docker's own table (jsonlog/jsonlogbytes_test.go), plus the cases issue 4 names.
ESCAPES = {
    "quote and backslash": (b'"A log line with \\"', b'\\"A log line with \\\\\\"'),
    "plain": (b"A log line", b"A log line"),
    "carriage return": (b"A log line with \r", b"A log line with \\r"),
    "html": (b"A log line with & < >", b"A log line with \\u0026 \\u003c \\u003e"),
    "utf8 raw": ("utf8 : 🚀 ψ ω β".encode(), "utf8 : 🚀 ψ ω β".encode()),
    "line and paragraph separators": ("\u2028 \u2029".encode(), b"\\u2028 \\u2029"),
    "invalid byte": (b"\xaf", b"\\ufffd"),
    "DEL raw": (b"\x7f", b"\x7f"),
    "tab is not short": (b"a\tb", b"a\\u0009b"),
    "NUL and ESC": (b"\x00\x1b[0m", b"\\u0000\\u001b[0m"),
    "newline inside a line": (b"a\nb", b"a\\nb"),
    "truncated sequence: one per byte": (b"\xe2\x82(", b"\\ufffd\\ufffd("),
    "encoded surrogate: one per byte": (b"\xed\xa0\x80", b"\\ufffd\\ufffd\\ufffd"),
    "overlong: one per byte": (b"\xc0\xaf", b"\\ufffd\\ufffd"),
    "literal U+FFFD stays raw": ("\ufffd".encode(), "\ufffd".encode()),
    "invalid byte beside valid text and quotes": (b'\xff"\xc3\xa9<', b'\\ufffd\\"\xc3\xa9\\u003c'),
    "valid UTF-8 with every special": (
        'é"\\\t\r<>&\u2028'.encode(),
        b'\xc3\xa9\\"\\\\\\u0009\\r\\u003c\\u003e\\u0026\\u2028',
    ),
}


@pytest.mark.parametrize("raw, escaped", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_line(raw, escaped):
    assert escape_line(raw) == escaped


BATCH_ESCAPES = {name: case for name, case in ESCAPES.items() if b"\n" not in case[0]}


@pytest.mark.parametrize("raw, escaped", BATCH_ESCAPES.values(), ids=BATCH_ESCAPES.keys())
def test_escape_batch_matches_line_by_line(raw, escaped):
    assert escape_batch(raw + b"\nplain\n" + raw + b"\n") == escaped + b"\nplain\n" + escaped + b"\n"


def test_attrs_sorted_and_escaped_as_go_json_marshal():
    attrs = {"tag": "web", "com.example.team": "a&b", "z": "tab\there", "a": "é\u2028"}
    assert encode_attrs(attrs) == (
        b'{"a":"\xc3\xa9\\u2028","com.example.team":"a\\u0026b","tag":"web","z":"tab\\there"}'
    )


def test_line_with_attrs_in_docker_key_order():
    encoder = EntryEncoder({"tag": "web", "com.example.team": "a"})
    line = encoder.encode_message(Message(b"hello", "stdout", 1714564800_123456789))
    assert line == (
        b'{"log":"hello\\n","stream":"stdout","attrs":{"com.example.team":"a","tag":"web"},'
        b'"time":"2024-05-01T12:00:00.123456789Z"}\n'
    )


def test_partial_pieces_have_no_newline_except_the_last():
    encoder = EntryEncoder({})
    first = encoder.encode_message(Message(b"abc", "stderr", T, PartialMeta("i" * 64, 1, False)))
    last = encoder.encode_message(Message(b"", "stderr", T, PartialMeta("i" * 64, 2, True)))
    assert first == b'{"log":"abc","stream":"stderr","time":"' + T_TEXT + b'"}\n'
    assert last == b'{"log":"\\n","stream":"stderr","time":"' + T_TEXT + b'"}\n'


def test_empty_non_last_piece_leaves_log_out_as_docker():
    line = EntryEncoder({}).encode_message(Message(b"", "stdout", T, PartialMeta("i" * 64, 1, False)))
    assert line == b'{"stream":"stdout","time":"' + T_TEXT + b'"}\n'


@pytest.mark.parametrize(
    "data",
    [b"1\n2\n3\n", b"\n\n", b'{"level":"info","msg":"a<b"}\n\t\n', "é\u2028\n".encode(), b"\xff\x00\n\xfe\n"],
    ids=["digits", "empty lines", "app json", "utf8", "invalid"],
)
def test_batch_encoding_equals_one_message_at_a_time(data):
    encoder = EntryEncoder({"tag": "x"})
    batch = LineBatch("stdout", T, data)
    expected = b"".join(encoder.encode_message(m) for m in batch.messages())
    assert b"".join(encoder.encode_batch(batch)) == expected
    for line, msg in zip(expected.splitlines(), batch.messages(), strict=True):
        decoded = json.loads(line)
        assert decoded["log"].encode("utf-8") == msg.line.decode("utf-8", "replace").encode() + b"\n"
