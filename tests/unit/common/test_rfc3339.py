import pytest

from common.rfc3339 import NEVER, TimeFormatter, TimeParser, format_ns, parse_ns, unix_seconds

T = 1795829461_301226849

TIMES = {
    "nanoseconds": (T, "2026-11-28T01:31:01.301226849Z"),
    "trailing zeros trimmed": (1795829461_100000000, "2026-11-28T01:31:01.1Z"),
    "whole second has no fraction": (1795829461_000000000, "2026-11-28T01:31:01Z"),
    "zero in the middle kept": (1795829461_000000500, "2026-11-28T01:31:01.0000005Z"),
    "epoch": (0, "1970-01-01T00:00:00Z"),
    "before the epoch": (-500_000_000, "1969-12-31T23:59:59.5Z"),
    "a year before 1000 has four digits, as Go writes it": (-30610310400_000000000, "0999-12-31T00:00:00Z"),
}


@pytest.mark.parametrize("ns, text", TIMES.values(), ids=TIMES.keys())
def test_format_and_parse(ns, text):
    assert format_ns(ns) == text
    assert parse_ns(text) == ns
    assert TimeParser().parse(text) == ns
    assert TimeFormatter().format(ns) == text.encode()


def test_the_formatter_reuses_a_second_and_moves_on():
    formatter = TimeFormatter()
    times = [T, T + 1, T - 301226849, T + 1_000_000_000, -500_000_000, T]
    assert [formatter.format(ns) for ns in times] == [format_ns(ns).encode() for ns in times]


def test_the_parser_accepts_offsets_and_reuses_the_second():
    parser = TimeParser()
    assert parser.parse("2026-11-28T02:31:01.5+01:00") == 1795829461_500000000
    assert parser.parse("2026-11-28T01:31:01Z") == 1795829461_000000000
    assert parser.parse("2026-11-28T01:31:01.25Z") == 1795829461_250000000
    assert parser.parse("2026-11-28T01:31:01.123456789Z") == 1795829461_123456789
    with pytest.raises(ValueError):
        parser.parse("yesterday")


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("2024-05-01T10:00:00Z", 1714557600.0),
        ("2024-05-01T10:00:00.5Z", 1714557600.5),
        ("2024-05-01T12:00:00.25+02:00", 1714557600.25),
        ("2026-11-28T04:00:01.123456789Z", 1795838401.123456789),
        ("2026-11-28T05:00:01.5+01:00", 1795838401.5),
        (NEVER, None),
        ("", None),
        (None, None),
        ("yesterday", None),
        ("2024-05-01T10:00:00.1234567891Z", None),  # ten fraction digits: not Go's
    ],
)
def test_unix_seconds(text, seconds):
    assert unix_seconds(text) == (None if seconds is None else pytest.approx(seconds, abs=1e-6))
