"""Docker's syslog messages byte for byte: srslog's formatters as Docker's syslog driver uses them, with a
fixed clock and time zone (Go formats time.Now() in the local zone)."""

import os
import time

import pytest

from logdrivers.message import Message, PartialMeta
from logdrivers.syslog.encode import SyslogEncoder, go_rfc3339, go_stamp

T = 1_714_564_800_123_456_789  # 2024-05-01T12:00:00.123456789Z


@pytest.fixture
def zone():
    """Set TZ for a test, restored after (time.localtime follows TZ after tzset)."""
    saved = os.environ.get("TZ")

    def use(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield use
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_go_time_layouts(zone):
    zone("UTC")
    assert go_stamp(T // 10**9) == b"May  1 12:00:00"  # Jan _2: the day padded with a space
    assert go_stamp(T // 10**9 + 10 * 86400) == b"May 11 12:00:00"
    assert go_rfc3339(T, micro=False) == b"2024-05-01T12:00:00Z"
    assert go_rfc3339(T, micro=True) == b"2024-05-01T12:00:00.123456Z"  # truncated, not rounded
    assert go_rfc3339(T - 123_456_789, micro=True) == b"2024-05-01T12:00:00.000000Z"  # always six digits
    zone("Asia/Kolkata")
    assert go_rfc3339(T, micro=False) == b"2024-05-01T17:30:00+05:30"
    zone("America/St_Johns")
    assert go_rfc3339(T, micro=False) == b"2024-05-01T09:30:00-02:30"
    assert go_stamp(T // 10**9) == b"May  1 09:30:00"


@pytest.mark.parametrize(
    ("format_", "expected_out", "expected_err"),
    [
        ("", b"<30>May  1 12:00:00 web[42]: hello\n", b"<27>May  1 12:00:00 web[42]: oops\n"),
        (
            "rfc3164",
            b"<30>May  1 12:00:00 host1 web[42]: hello\n",
            b"<27>May  1 12:00:00 host1 web[42]: oops\n",
        ),
        (
            "rfc5424",
            b"<30>1 2024-05-01T12:00:00Z host1 web 42 web - hello\n",
            b"<27>1 2024-05-01T12:00:00Z host1 web 42 web - oops\n",
        ),
        (
            "rfc5424micro",
            b"<30>1 2024-05-01T12:00:00.123456Z host1 web 42 web - hello\n",
            b"<27>1 2024-05-01T12:00:00.123456Z host1 web 42 web - oops\n",
        ),
    ],
)
def test_each_format_as_docker_writes_it(zone, format_, expected_out, expected_err):
    zone("UTC")
    encoder = SyslogEncoder(format_, 3, "web", 42, "host1")
    assert encoder.encode([Message(b"hello", "stdout", T), Message(b"oops", "stderr", T)]) == [
        expected_out,
        expected_err,
    ]


def test_facility_sets_the_priority_and_empty_lines_are_not_sent(zone):
    zone("UTC")
    encoder = SyslogEncoder("rfc5424", 16 + 3, "t", 1, "h")  # local3
    out = encoder.encode([Message(b"", "stdout", T), Message(b"x", "stdout", T), Message(b"y", "stderr", T)])
    assert [m[: m.index(b">") + 1] for m in out] == [b"<158>", b"<155>"]
    assert encoder.encode_one(Message(b"", "stdout", T)) is None


def test_pieces_of_a_cut_line_go_out_as_their_own_messages_and_bytes_are_kept(zone):
    zone("UTC")
    encoder = SyslogEncoder("", 3, "t", 1, "h")
    piece = Message(b"a" * 16384, "stdout", T, PartialMeta("p" * 64, 1, False))
    binary = Message(b"\x00\xff\xfe bin\r", "stdout", T)
    out = encoder.encode([piece, binary])
    assert out[0] == b"<30>May  1 12:00:00 t[1]: " + b"a" * 16384 + b"\n"
    assert out[1] == b"<30>May  1 12:00:00 t[1]: \x00\xff\xfe bin\r\n"


def test_a_new_second_gets_a_new_header(zone):
    zone("UTC")
    encoder = SyslogEncoder("rfc5424", 3, "t", 1, "h")
    first, second = encoder.encode([Message(b"a", "stdout", T), Message(b"b", "stdout", T + 10**9)])
    assert first.startswith(b"<30>1 2024-05-01T12:00:00Z ") and second.startswith(b"<30>1 2024-05-01T12:00:01Z ")
