import pytest

from runtime.engine.detachkeys import EscapeScanner, parse_detach_keys
from runtime.errors import InvalidParameter


@pytest.mark.parametrize(
    "text, keys",
    [
        ("", b"\x10\x11"),  # Docker's default, ctrl-p ctrl-q
        ("ctrl-p,ctrl-q", b"\x10\x11"),
        ("ctrl-a,x", b"\x01x"),
        ("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", b"\x00\x1b\x1c\x1d\x1e\x1f"),
        ("a,B", b"aB"),
    ],
)
def test_parse(text, keys):
    assert parse_detach_keys(text) == keys


@pytest.mark.parametrize("text", ["ctrl-5", "ctrl-", "ab", "ctrl-A", "shift-a"])
def test_unknown_keys_get_dockers_message(text):
    with pytest.raises(InvalidParameter, match=rf"^Invalid detach keys \({text}\) provided$"):
        parse_detach_keys(text)


def feed_all(reads: list[bytes]) -> tuple[bytes, bool]:
    scanner, passed = EscapeScanner(b"\x10\x11"), b""
    for data in reads:
        out, detached = scanner.feed(data)
        passed += out
        if detached:
            return passed, True
    return passed, False


@pytest.mark.parametrize(
    "reads, passed, detached",
    [
        ([b"ls\r", b"\x10", b"\x11"], b"ls\r", True),  # typed one key at a time
        ([b"\x10", b"a"], b"\x10a", False),  # not the sequence: the held key comes back first
        ([b"\x10\x11"], b"\x10\x11", False),  # in one read (a paste), as moby's proxy: passed on
        ([b"\x10", b"\x10", b"\x11"], b"\x10\x10\x11", False),  # as moby: the second ctrl-p does not restart it
        ([b"\x10", b"xy", b"\x11"], b"\x10xy\x11", False),
        ([b"plain input"], b"plain input", False),
    ],
)
def test_scanner_matches_keys_read_one_at_a_time(reads, passed, detached):
    assert feed_all(reads) == (passed, detached)
